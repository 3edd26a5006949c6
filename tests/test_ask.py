"""`triage ask` driven through click's CliRunner with scripted input."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from triage.cli import main
from triage.interview import InputError, parse_typed

# A calm, complete interview: lower back, 3/10, 1 week, aching, 35, then "no" to everything.
CALM = ["3", "3", "1", "ache", "35"] + ["n"] * 30


def ask(lines, *args, **kw):
    return CliRunner().invoke(
        main, ["ask", "--no-color", *args], input="\n".join(lines) + "\n", **kw
    )


def test_calm_interview_gives_stretching_routine():
    result = ask(CALM)
    assert result.exit_code == 0, result.output
    assert "SELF-CARE WITH A STRETCHING ROUTINE" in result.output
    assert "Pelvic tilt (hold 30 s" in result.output
    assert "not a diagnosis" in result.output
    assert "\x1b[" not in result.output  # no colour when asked not to


@pytest.mark.parametrize(
    ("lines", "banner"),
    [
        (["3", "3", "1", "ache", "40", "y"], "EMERGENCY"),
        (["3", "3", "1", "ache", "40", "u"] + ["n"] * 30, "SEE A DOCTOR TODAY"),
        (["3", "9", "1", "ache", "35"] + ["n"] * 30, "SEE A DOCTOR WITHIN A FEW DAYS"),
        (["3", "8", "1", "ache", "35"] + ["n"] * 30, "BOOK A PHYSICAL THERAPIST"),
        (["2", "3", "1", "tightness", "35"] + ["n"] * 30, "FOAM ROLLER OR LACROSSE BALL"),
    ],
)
def test_each_disposition(lines, banner):
    result = ask(lines)
    assert result.exit_code == 0, result.output
    assert banner in result.output


def test_emergency_stops_the_interview_at_once():
    result = ask(["3", "3", "1", "ache", "40", "y", "THIS-IS-NEVER-READ"])
    assert result.exit_code == 0
    assert "EMERGENCY" in result.output
    assert "[7]" not in result.output  # no question after the saddle-numbness answer
    assert "Do not drive yourself" in result.output


def test_invalid_answers_are_explained_and_asked_again():
    result = ask(["knee", "3", "eleven", "11", "3", *CALM[2:]])
    assert result.exit_code == 0
    assert "'knee' is not one of the choices" in result.output
    assert "type a whole number from 0 to 10" in result.output
    assert "out of range" in result.output


def test_why_names_the_rule_waiting_on_the_answer():
    result = ask(["3", "3", "1", "ache", "40", "why"] + ["n"] * 30)
    assert "Rule ces-saddle-numbness" in result.output
    assert "If it holds, it would conclude: Emergency" in result.output
    assert "Source:" in result.output


def test_back_returns_to_the_previous_question_and_re_evaluates():
    # Say 9/10, go back, say 3/10: the result must not be a doctor visit.
    result = ask(["3", "9", "back", "3", *CALM[2:]])
    assert result.exit_code == 0, result.output
    assert "Going back." in result.output
    assert "SELF-CARE WITH A STRETCHING ROUTINE" in result.output


def test_quit_leaves_without_result():
    result = ask(["3", "quit"])
    assert result.exit_code == 1
    assert "Why" not in result.output


def test_end_of_input_exits_cleanly():
    result = ask(["3", "3"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_save_round_trips_through_batch(tmp_path):
    saved = tmp_path / "me.yaml"
    result = ask(["2", "5", "2", "tightness stiffness", "44"] + ["n"] * 30, "--save", str(saved))
    assert result.exit_code == 0, result.output
    case = yaml.safe_load(saved.read_text())
    assert case["expect"]["disposition"] == "tool_use"
    batch = CliRunner().invoke(main, ["batch", "--format", "jsonl", str(saved)])
    record = json.loads(batch.stdout.splitlines()[0])
    assert (record["disposition"], record["timeframe"], record["fired"]) == (
        case["expect"]["disposition"],
        case["expect"].get("timeframe"),
        case["expect"]["fired"],
    )
    assert record["complete"] is True


def test_save_keeps_answers_given_before_end_of_input(tmp_path):
    saved = tmp_path / "partial.yaml"
    result = ask(["1", "4"], "--save", str(saved))
    assert result.exit_code == 1
    case = yaml.safe_load(saved.read_text())
    assert case["answers"] == {"location": "neck", "severity": 4}
    assert "expect" not in case


def test_answers_file_prefills_and_asks_only_what_is_missing(tmp_path):
    pre = tmp_path / "pre.yaml"
    pre.write_text(
        "answers: {location: neck, severity: 2, duration_weeks: 5, "
        "sensations: [stiffness], age: 30}\n"
    )
    result = ask(["n"] * 30, "--answers", str(pre))
    assert result.exit_code == 0, result.output
    assert "Where is your pain" not in result.output
    assert "BOOK A PHYSICAL THERAPIST" in result.output  # neck pain for 5 weeks


def test_no_input_names_the_missing_question(tmp_path):
    pre = tmp_path / "pre.yaml"
    pre.write_text("answers: {location: neck}\n")
    result = CliRunner().invoke(main, ["ask", "--no-input", "--answers", str(pre)])
    assert result.exit_code == 2
    assert "severity" in result.output and "--answers" in result.output


def test_no_input_with_complete_answers_gives_the_result(tmp_path):
    pre = tmp_path / "pre.yaml"
    pre.write_text("answers: {location: neck, saddle_numbness: yes}\n")
    result = CliRunner().invoke(main, ["ask", "--no-input", "--answers", str(pre)])
    assert result.exit_code == 0
    assert "EMERGENCY" in result.output


def test_bad_answers_file_is_one_line(tmp_path):
    pre = tmp_path / "pre.yaml"
    pre.write_text("answers: {age: 300}\n")
    result = CliRunner().invoke(main, ["ask", "--answers", str(pre)])
    assert result.exit_code == 2
    assert "answers.age" in result.output and "Traceback" not in result.output


def test_explain_adds_the_audit_trail():
    result = ask(CALM, "--explain")
    assert "How this was decided" in result.output
    assert "no-trigger-self-stretching" in result.output
    assert "1. location (needed by" in result.output


@pytest.mark.parametrize(
    ("qid", "text", "value"),
    [
        ("fever", "Y", "yes"),
        ("fever", "unsure", "unsure"),
        ("location", "2", "upper_back"),
        ("location", "Lower back", "lower_back"),
        ("location", "upper", "upper_back"),
        ("sensations", "1, 3", ("stiffness", "ache")),
        ("sensations", "tingling numbness", ("tingling", "numbness")),
        ("sensations", "none", ()),
        ("duration_weeks", "0.5", 0.5),
        ("age", "42", 42),
    ],
)
def test_typed_answers(triage, qid, text, value):
    assert parse_typed(triage.rulebase.questions[qid], text) == value


@pytest.mark.parametrize(
    ("qid", "text"),
    [
        ("fever", "maybe"),
        ("age", "121"),
        ("age", "4.5"),
        ("location", ""),
        ("sensations", "7 itch"),
    ],
)
def test_typed_answers_rejected(triage, qid, text):
    with pytest.raises(InputError):
        parse_typed(triage.rulebase.questions[qid], text)
