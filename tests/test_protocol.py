"""The next-question protocol: only relevant questions, early stop, interview == batch."""

from __future__ import annotations

from triage.cases import Case


def interview(triage, oracle):
    """Drive the protocol like `triage ask` would, answering from ``oracle`` (missing = no)."""
    answers, asked = {}, []
    while True:
        ev = triage.evaluate(answers)
        q = ev.next_question
        if q is None:
            return ev, asked
        assert q.id not in answers, "a question is never asked twice"
        assert ev.needs[q.id], "every question asked names the rule that needs it"
        asked.append(q.id)
        answers[q.id] = _answer(q, oracle)


def _answer(q, oracle):
    """The oracle's answer to ``q``; a question it leaves out gets a neutral one."""
    return q.parse(oracle.get(q.id, "no" if q.type == "yesno" else _neutral(q)))


def _neutral(q):
    if q.type == "choice":
        return q.values[0]
    return {"multi": [], "integer": 30, "number": 1}[q.type]


def test_emergency_ends_the_interview_at_once(triage):
    ev = triage.evaluate({"location": "lower_back", "saddle_numbness": "yes"})
    assert ev.next_question is None
    assert ev.unanswered == []
    assert ev.outcome.disposition == "emergency"


def test_irrelevant_questions_are_not_asked(triage):
    # Without a fever, the meningitis rule cannot hold: its other question is not needed.
    oracle = {
        "location": "lower_back",
        "severity": 2,
        "duration_weeks": 1,
        "sensations": ["ache"],
        "age": 30,
    }
    _, asked = interview(triage, oracle)
    assert "neck_stiffness_headache" not in asked
    # Without cancer and without a minor fall, their companion questions are not needed either.
    assert "worsening_weakness" in asked  # still needed on its own (progressive-weakness)


def test_no_questions_after_a_same_day_doctor_except_emergency_signs(triage):
    ev = triage.evaluate(
        {
            "location": "neck",
            "severity": 3,
            "duration_weeks": 1,
            "sensations": [],
            "age": 40,
            "fever": "yes",
        }
    )
    assert ev.outcome.timeframe == "same_day"
    for qid, rules in ev.needs.items():
        tiers = {triage.rulebase.rule(r).tier for r in rules}
        assert tiers <= {"emergency", "caution"}, (qid, tiers)


def test_interview_and_batch_give_the_same_result(triage):
    oracle = {
        "location": "upper_back",
        "severity": 5,
        "duration_weeks": 2,
        "sensations": ["tightness"],
        "age": 44,
        "frequent_cracking": "yes",
        "blood_thinners": "no",
    }
    ev, asked = interview(triage, oracle)
    batch = triage.result(
        Case("x", "x", {q: _answer(triage.rulebase.questions[q], oracle) for q in asked})
    )
    assert (batch["disposition"], batch["fired"]) == (ev.outcome.disposition, ev.fired)
    assert batch["complete"] is True
    assert ev.outcome.disposition == "tool_use"


def test_incomplete_case_lists_unanswered_questions(triage):
    ev = triage.evaluate({"location": "lower_back", "severity": 3})
    assert "saddle_numbness" in ev.unanswered
    assert "location" not in ev.unanswered
    result = triage.result(Case("x", "x", {"location": "lower_back", "severity": 3}))
    assert result["complete"] is False and result["unanswered"] == ev.unanswered
