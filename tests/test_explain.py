"""`triage explain`: HOW a decision was reached, WHY each question is asked, WHY NOT another one."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import CALM, RUNNER

from triage.cases import Case
from triage.cli import main
from triage.explain import explain_case, replay_interview
from triage.knowledge import bundled_rules_dir
from triage.lint import CORE_QUESTIONS
from triage.service import Triage

NO_FLAGS = {q: "no" for q, (kind, _) in CORE_QUESTIONS.items() if kind == "yesno"}
# The questions policy v2 added, answered calmly (the pain is new: "no" would lower urgency).
V2_CALM = {
    **{q.id: "no" for q in Triage.load().rulebase.questions.values() if q.type == "yesno"},
    **NO_FLAGS,
    "new_or_different": "yes",
    "inflammatory_signs": [],
    "outlook": [],
}


def answers(**changes):
    """A complete case: nothing alarming, then the changes."""
    return {**CALM, **NO_FLAGS, **changes}


def write_case(tmp_path: Path, answers_: dict, case_id: str = "c1", name: str = "case.yaml") -> str:
    path = tmp_path / name
    path.write_text(json.dumps({"id": case_id, "answers": answers_}))
    return str(path)


def run(*args: str):
    return RUNNER.invoke(main, list(args), catch_exceptions=False)


def explain_json(*args: str) -> dict:
    res = run("explain", *args, "--format", "json")
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


@pytest.fixture()
def base_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "rules"
    shutil.copytree(bundled_rules_dir(), dest)
    return dest


def test_text_names_disposition_rules_sources_and_questions(tmp_path, triage):
    path = write_case(tmp_path, answers(severity=7, sensations=["tightness"]))
    res = run("explain", path)
    assert res.exit_code == 0, res.output
    out = res.output
    ev = triage.evaluate(Case("c1", path, answers(severity=7, sensations=("tightness",))).answers)
    assert f"Disposition: {ev.outcome.disposition}" in out
    assert "HOW" in out and "WHY" in out
    for rid in ev.fired:
        rule = triage.rulebase.rule(rid)
        assert rid in out
        for sid in rule.sources:
            assert triage.rulebase.sources[sid]["citation"] in out
    assert "matched: severity = 7" in out
    assert "concluded: disposition physical_therapist" in out
    first = triage.evaluate({}).next_question
    assert f"1. {first.id}: {first.prompt}" in out
    assert f"why: {first.why}" in out


def test_json_matches_the_batch_result(tmp_path, triage):
    raw = answers(fever="yes", night_pain="yes")
    path = write_case(tmp_path, raw)
    data = explain_json(path)
    record = triage.result(
        Case("c1", path, {q: triage.rulebase.questions[q].parse(v) for q, v in raw.items()})
    )
    assert data["disposition"] == record["disposition"] == "doctor"
    assert data["timeframe"] == record["timeframe"] == "same_day"
    assert [f["rule"] for f in data["fired"]] == record["fired"]
    assert data["rulebase"] == record["rulebase"]
    fever = next(f for f in data["fired"] if f["rule"] == "infection-fever")
    assert fever["matched"] == {"fever": "yes"}
    assert fever["concluded"] == {"disposition": "doctor", "timeframe": "same_day"}
    assert all(s["citation"] for s in fever["sources"])


def test_questions_replay_the_interview_protocol(tmp_path, triage):
    raw = answers(sensations=["tightness"], location="upper_back", **V2_CALM)
    path = write_case(tmp_path, raw)
    data = explain_json(path)
    # drive the protocol by hand, screen by screen, as `triage ask` would
    given, expected = {}, []
    while screen := (ev := triage.evaluate(given)).next_questions:
        for q in screen:
            expected.append((q.id, list(ev.needs[q.id])))
            given[q.id] = q.parse(raw[q.id])
    assert [(a["question"], a["needed_by"]) for a in data["asked"]] == expected
    for a in data["asked"]:
        assert a["answered"] and a["why"] == triage.rulebase.questions[a["question"]].why
        assert a["detail"]["rule"] == a["needed_by"][0]
        assert a["detail"]["settles"]
    assert set(data["not_asked"]) == set(raw) - {q for q, _ in expected}
    assert data["complete"] is True


def test_missing_answers_are_reported_and_the_replay_goes_on(tmp_path):
    path = write_case(tmp_path, {"location": "neck", "severity": 2})
    data = explain_json(path)
    assert data["complete"] is False
    unanswered = [a["question"] for a in data["asked"] if not a["answered"]]
    assert set(data["unanswered"]) <= set(unanswered)
    assert "saddle_numbness" in unanswered
    text = run("explain", path).output
    assert "(the case does not answer it)" in text and "Incomplete" in text


def test_why_not_lists_failed_conditions_with_the_actual_answers(tmp_path, triage):
    path = write_case(tmp_path, answers(age=40, minor_trauma="yes"))
    data = explain_json(path, "--why-not", "emergency")
    wn = data["why_not"]
    emergency_rules = [r.id for r in triage.rulebase.rules if r.disposition == "emergency"]
    assert [r["rule"] for r in wn["rules"]] == emergency_rules
    assert wn["is_the_outcome"] is False
    age_rule = next(r for r in wn["rules"] if r["rule"] == "fragility-fracture-age")
    assert age_rule["state"] == "failed"
    status = {c["question"]: (c["status"], c["actual"]) for c in age_rule["conditions"]}
    assert status == {"minor_trauma": ("holds", "yes"), "age": ("fails", 40)}
    text = run("explain", path, "--why-not", "emergency").output
    assert "WHY NOT emergency" in text
    assert "age >= 65: fails; answer: 40" in text
    assert "minor_trauma is yes: holds; answer: yes" in text


def test_why_not_explains_softening_and_outranking(tmp_path):
    path = write_case(tmp_path, answers(saddle_numbness="unsure", severity=7))
    data = explain_json(path, "--why-not", "emergency")
    saddle = next(r for r in data["why_not"]["rules"] if r["rule"] == "ces-saddle-numbness")
    assert saddle["state"] == "softened"
    assert "unsure-emergency-sign" in saddle["summary"]
    assert saddle["conditions"][0]["status"] == "unsure"
    data = explain_json(path, "--why-not", "physical_therapist")
    severe = next(r for r in data["why_not"]["rules"] if r["rule"] == "severe-pain-7-8")
    assert severe["state"] == "fired" and "more urgent" in severe["summary"]
    data = explain_json(path, "--why-not", "doctor:same_day")
    assert data["why_not"]["is_the_outcome"] is True
    assert {r["rule"] for r in data["why_not"]["rules"]} >= {
        "infection-fever",
        "unsure-emergency-sign",
    }


def test_why_not_a_derived_fact(tmp_path):
    path = write_case(
        tmp_path, answers(sensations=["tightness"], blood_thinners="yes", pregnant="no")
    )
    data = explain_json(path, "--why-not", "tool_use")
    tool = data["why_not"]["rules"][0]
    assert tool["rule"] == "tool-tight-back-muscles" and tool["state"] == "failed"
    failed = [c for c in tool["conditions"] if c["status"] != "holds"]
    assert [(c["question"], c["actual"]) for c in failed] == [("blood_thinners", "yes")]


def test_choosing_a_case_in_a_file_of_several(tmp_path):
    path = tmp_path / "many.yaml"
    path.write_text(
        json.dumps(
            [{"id": "a", "answers": answers()}, {"id": "b", "answers": answers(fever="yes")}]
        )
    )
    res = run("explain", str(path))
    assert res.exit_code == 2 and "--case" in res.output and "a, b" in res.output
    assert explain_json(str(path), "--case", "b")["disposition"] == "doctor"
    res = run("explain", str(path), "--case", "zzz")
    assert res.exit_code == 2 and "no case with id 'zzz'" in res.output


def test_invalid_case_and_bad_usage(tmp_path):
    path = write_case(tmp_path, {"severity": 11})
    res = run("explain", path)
    assert res.exit_code == 1 and "answers.severity" in res.output
    good = write_case(tmp_path, answers(), name="good.yaml")
    res = run("explain", good, "--why-not", "hospital")
    assert res.exit_code == 2 and "unknown disposition 'hospital'" in res.output


def test_explain_under_an_edited_rule_base(tmp_path, base_copy):
    f = base_copy / "30-physical-therapist.yaml"
    f.write_text(
        f.read_text().replace(
            "{question: severity, min: 7, max: 8}", "{question: severity, min: 6, max: 8}"
        )
    )
    path = write_case(tmp_path, answers(severity=6))
    res = run("explain", path, "--format", "json", "--rules", str(base_copy))
    data = json.loads(res.output)
    assert data["disposition"] == "physical_therapist"
    assert "severe-pain-7-8" in [f["rule"] for f in data["fired"]]
    assert data["rulebase"]["sha256"] != Triage.load().rulebase.sha256


def test_explain_on_a_broken_rule_base_is_one_line(tmp_path, base_copy):
    f = base_copy / "20-doctor.yaml"
    f.write_text(f.read_text().replace("question: weight_loss,", "question: weightloss,"))
    path = write_case(tmp_path, answers())
    res = run("explain", path, "--rules", str(base_copy))
    assert res.exit_code == 2
    assert (
        len(res.output.strip().splitlines()) == 1 and "unknown question 'weightloss'" in res.output
    )


def test_replay_stops_when_the_outcome_is_settled(triage):
    steps = replay_interview(triage, {"location": "lower_back", "saddle_numbness": "yes", **CALM})
    # an emergency ends the interview with its screen, the emergency checklist
    assert [s.question for s in steps] == list(triage.rulebase.groups["emergency_signs"].members)
    data = explain_case(triage, Case("x", "x", {**CALM, "saddle_numbness": "yes"}))
    assert data["disposition"] == "emergency"


def test_why_not_answers_first_in_one_line_then_the_trace(tmp_path):
    path = write_case(tmp_path, answers(age=40, minor_trauma="yes"))
    text = run("explain", path, "--why-not", "emergency").output
    first, rest = text.split("\n", 1)
    assert re.fullmatch(
        r"Why not emergency\? None of the \d+ rule\(s\) concluding it fired \(the outcome is "
        r"\w+\); the closest, [\w-]+, needs: .+: fails; answer: .+\.",
        first,
    )
    assert rest.startswith("\nCase c1 ")  # then the whole account, as without --why-not
    assert "WHY NOT emergency" in rest
    brief = run("explain", path, "--why-not", "emergency", "--brief").output
    assert brief == first + "\n"


def test_why_not_answers_outranked_softened_and_the_outcome(tmp_path):
    path = write_case(tmp_path, answers(saddle_numbness="unsure", severity=7))
    brief = run("explain", path, "--why-not", "physical_therapist", "--brief").output
    assert brief.startswith("Why not physical_therapist? severe-pain-7-8 fired and concluded")
    assert "concluded the more urgent doctor (same_day)." in brief
    brief = run("explain", path, "--why-not", "emergency", "--brief").output
    assert brief.startswith("Why not emergency? ces-saddle-numbness held only because of unsure")
    brief = run("explain", path, "--why-not", "doctor:same_day", "--brief").output
    assert brief == (
        "Why not doctor:same_day? It is this case's outcome: doctor, same_day: "
        "See a doctor today.\n"
    )
    data = explain_json(path, "--why-not", "physical_therapist", "--brief")
    assert data == {"id": "c1", "answer": brief_of(path, "physical_therapist")}
    assert (
        explain_json(path, "--why-not", "physical_therapist")["why_not"]["answer"] == data["answer"]
    )


def brief_of(path: str, target: str) -> str:
    return run("explain", path, "--why-not", target, "--brief").output.rstrip("\n")


def test_brief_without_why_not_is_the_decision(tmp_path):
    path = write_case(tmp_path, answers(fever="yes"))
    assert run("explain", path, "--brief").output == "doctor, same_day: See a doctor today\n"
