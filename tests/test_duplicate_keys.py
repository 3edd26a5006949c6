"""A duplicate key is an error, never "the last one wins": it could hide a red flag."""

from __future__ import annotations

import json

import pytest

from triage.cli import main


@pytest.mark.parametrize(
    ("name", "text", "key"),
    [
        ("a.yaml", "answers: {saddle_numbness: yes, saddle_numbness: no}\n", "saddle_numbness"),
        ("b.yaml", "id: x\nanswers: {age: 30}\nanswers: {age: 40}\n", "answers"),
        ("c.json", '{"answers": {"both_legs": "yes", "both_legs": "no"}}', "both_legs"),
        ("d.jsonl", '{"answers": {"both_legs": "yes", "both_legs": "no"}}\n', "both_legs"),
        ("e.yaml", "- answers: {age: 30}\n  answers: {chest_symptoms: yes}\n", "answers"),
    ],
)
def test_batch_refuses_a_duplicate_key_naming_it(tmp_path, name, text, key, runner):
    path = tmp_path / name
    path.write_text(text)
    result = runner.invoke(main, ["batch", "--format", "jsonl", str(path)])
    assert result.exit_code == 1, result.output
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert "disposition" not in record
    assert f"duplicate key '{key}'" in record["error"]["message"]
    assert f"duplicate key '{key}'" in result.stderr


def test_batch_stdin_refuses_a_duplicate_key(runner):
    line = '{"answers": {"saddle_numbness": "yes", "saddle_numbness": "no"}}\n'
    result = runner.invoke(main, ["batch", "-j", "1", "-"], input=line)
    assert result.exit_code == 1
    assert "duplicate key 'saddle_numbness'" in json.loads(result.stdout)["error"]["message"]


def test_ask_answers_file_with_a_duplicate_key_is_refused(tmp_path, runner):
    path = tmp_path / "case.yaml"
    path.write_text("answers: {saddle_numbness: yes, saddle_numbness: no}\n")
    result = runner.invoke(main, ["ask", "--answers", str(path), "--no-input"])
    assert result.exit_code == 2
    assert "duplicate key 'saddle_numbness'" in result.output
    assert "Traceback" not in result.output


def test_rule_file_with_a_duplicate_key_is_refused(rules_copy, runner):
    path = rules_copy / "10-emergency.yaml"
    text = path.read_text()
    old = "      - {question: saddle_numbness, is: yes}\n"
    assert old in text
    path.write_text(text.replace(old, "      - {question: saddle_numbness, is: yes, is: no}\n", 1))
    result = runner.invoke(main, ["rules", "list", "--rules", str(rules_copy)])
    assert result.exit_code == 2
    assert "10-emergency.yaml" in result.output
    assert "duplicate key 'is'" in result.output
