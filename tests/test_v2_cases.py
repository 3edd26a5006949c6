"""Case files under policy version 2: v1 files stay valid and get v2 results with the new
questions listed as unanswered; a bad value for a new question is the usual one-line error."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT

from triage.cli import main

V2_QUESTIONS = ("new_or_different", "sexual_change", "sudden_severe_pain", "aortic_risk")


def _records(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_a_v1_case_file_is_valid_and_lists_the_new_questions_as_unanswered(runner):
    result = runner.invoke(
        main, ["batch", str(ROOT / "cases" / "self_care" / "self-care-mild-desk-ache.yaml")]
    )
    (rec,) = _records(result.stdout)
    assert "error" not in rec
    assert rec["complete"] is False
    assert {"sexual_change", "sudden_severe_pain", "sudden_headache"} <= set(rec["unanswered"])
    assert rec["disposition"] == "self_stretching"  # a missing new question never escalates


@pytest.mark.parametrize(
    ("question", "value", "words"),
    [
        ("inflammatory_signs", "[sore_toe]", "unknown value 'sore_toe'"),
        ("outlook", "[worry, worry]", "values must be distinct"),
        ("outlook", "worry", "expected a list of values"),
        ("both_legs_new", "maybe", "expected yes, no or unsure"),
    ],
)
def test_a_bad_value_for_a_new_question_is_one_line(tmp_path, question, value, words, runner):
    path = tmp_path / "bad.yaml"
    path.write_text(f"id: bad\nanswers: {{age: 30, {question}: {value}}}\n")
    result = runner.invoke(main, ["batch", str(path)])
    assert result.exit_code != 0
    (rec,) = _records(result.stdout)
    assert rec["error"]["field"] == f"answers.{question}"
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "bad.yaml" in lines[0] and question in lines[0], lines
    assert words in lines[0]
    assert "Traceback" not in result.output
