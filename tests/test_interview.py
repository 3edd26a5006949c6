"""The interview through the engine's API: screens, red flags first, only what can change the
result, and the safety property (the interview never ends less urgent, or with other advice,
than the full answers would give)."""

from __future__ import annotations

import pytest
from hypothesis import given
from strategies import full_answers

from triage.errors import RuleBaseError
from triage.knowledge import load_rulebase
from triage.result import build_result
from triage.service import Triage

TRIAGE = Triage.load()
RB = TRIAGE.rulebase
QUESTIONS = list(RB.questions.values())
EMERGENCY_SIGNS = list(RB.groups["emergency_signs"].members)


NEUTRAL = {"yesno": "no", "multi": (), "integer": 30, "number": 1}


def interview(answers, triage=TRIAGE):
    """Drive the screens as every front end does, answering from ``answers``.

    A question the answers leave out gets a neutral answer ("no", none, 30, 1 or the first
    choice); returns the final evaluation and the screens shown (each a list of question ids).
    """
    given, screens = {}, []
    while True:
        ev = triage.evaluate(given)
        qs = ev.next_questions
        if not qs:
            assert ev.screen is None
            return ev, screens
        # The count comes from the answers alone (the API keeps no history): a group whose
        # members were needed at different times, and so asked over two screens, counts once.
        assert len({RB.questions[q].group or q for s in screens for q in s}) == (
            ev.screen.progress.done
        )
        assert len(screens) < len(QUESTIONS), "the interview ends"
        for q in qs:
            assert q.id not in given, "a question is never asked twice"
            assert ev.needs[q.id], "every question asked is needed by some rule"
            neutral = NEUTRAL.get(q.type, q.values[0] if q.values else None)
            given[q.id] = answers.get(q.id, neutral)
        screens.append([q.id for q in qs])


def asked(screens):
    return [q for s in screens for q in s]


CALM = {"location": "lower_back", "age": 34, "severity": 3, "duration_weeks": 1}


def test_the_first_screen_is_the_emergency_checklist():
    screen = TRIAGE.evaluate({}).screen
    assert screen.group.id == "emergency_signs"
    assert [q.id for q in screen.questions] == EMERGENCY_SIGNS
    assert screen.progress.step == 1 and screen.progress.total > 5


def test_an_emergency_sign_ends_the_interview_on_the_first_screen():
    ev, screens = interview({"chest_symptoms": "yes"})
    assert len(screens) == 1
    assert ev.outcome.disposition == "emergency"
    assert ev.next_questions == [] and ev.screen is None


def test_each_sign_of_the_first_checklist_is_an_emergency_on_its_own():
    # So a yes to any one can end the checklist at once (the web page says so).
    for sign in EMERGENCY_SIGNS:
        ev = TRIAGE.evaluate({sign: "yes"})
        assert ev.outcome.disposition == "emergency", sign
        assert not set(EMERGENCY_SIGNS) & set(ev.needs), sign


def test_a_screen_shows_only_the_members_still_needed():
    # saddle numbness unsure already gives "see a doctor today": the same-day question on the
    # next screen (effort pain, possible angina) cannot change that, the emergency ones can.
    ev = TRIAGE.evaluate({**{q: "no" for q in EMERGENCY_SIGNS}, "saddle_numbness": "unsure"})
    ids = [q.id for q in ev.next_questions]
    assert ev.screen.group.id == "warning_signs"
    assert "exertional_pain" not in ids
    assert "exertional_pain" in TRIAGE.evaluate({}).needs
    assert {"fever", "neck_stiffness_headache", "cancer_history"} <= set(ids)


def test_what_can_still_be_an_emergency_is_asked_before_anything_else():
    # After a minor fall, age and bone health can make it an emergency: they come before the
    # questions about the pain itself (how bad it is: that only leads to a doctor).
    ev, screens = interview({**CALM, "minor_trauma": "yes", "age": 50})
    order = asked(screens)
    assert order.index("age") < order.index("severity")
    assert order.index("osteoporosis_or_steroids") < order.index("severity")
    assert ev.outcome.disposition != "emergency"


def test_the_rolling_risks_are_asked_before_any_self_care_and_only_then():
    # They change the stretches, not only the tools: asked whatever the plan, before any
    # self-care result (pregnancy only at 12 to 55), and not once a doctor or an emergency is
    # certain.
    risks = {"osteoporosis_or_steroids", "blood_thinners", "hypermobility"}
    for case in (
        {**CALM, "sensations": ("tightness",)},  # a foam roller could be advised
        {**CALM, "sensations": ("ache",)},  # nothing to roll: the stretches still change
        {**CALM, "location": "neck", "sensations": ("tightness",)},  # never rolled
    ):
        ev, screens = interview(case)
        assert ev.outcome.self_care, (case, ev.outcome)
        assert risks | {"pregnant"} <= set(asked(screens)), case
    ev, screens = interview({**CALM, "age": 70, "sensations": ("ache",)})
    assert risks <= set(asked(screens)) and "pregnant" not in asked(screens)
    # (osteoporosis is also a red flag in policy v2: new back pain with it sees a doctor; and
    # pregnancy, asked from 12 to 55 since it can lead to the maternity unit, comes early)
    risks -= {"osteoporosis_or_steroids"}
    for case in (
        {**CALM, "sensations": ("tightness",), "fever": "yes"},  # a doctor today instead
        {**CALM, "sensations": ("tightness",), "fever": "yes", "age": 60},
        {**CALM, "sensations": ("tightness",), "chest_symptoms": "yes"},  # an emergency
    ):
        ev, screens = interview(case)
        assert not risks & set(asked(screens)), (case, ev.outcome)


def test_frequent_cracking_is_asked_only_for_physical_therapy_or_self_care():
    _, screens = interview({**CALM, "sensations": ("ache",)})
    assert "frequent_cracking" in asked(screens)
    _, screens = interview({**CALM, "sensations": ("ache",), "severity": 8})
    assert "frequent_cracking" in asked(screens)  # a physical therapist: the caution applies
    _, screens = interview({**CALM, "sensations": ("ache",), "severity": 9})
    assert "frequent_cracking" not in asked(screens)  # a doctor: it could not be shown


def test_an_unsure_answer_that_caps_a_rule_stops_its_questions():
    # cancer unsure: spinal cord compression can only be "unsure" now, so band-like pain gives
    # at most a same-day doctor, which saddle numbness unsure has given already.
    answers = {
        **{q: "no" for q in EMERGENCY_SIGNS},
        **{q: "no" for q in ("fever", "immune_risk", "infection_risk")},
        "saddle_numbness": "unsure",
        "cancer_history": "unsure",
    }
    assert "band_pain" not in TRIAGE.evaluate(answers).needs
    # with a definite cancer history it is needed: it could make it an emergency
    assert "band_pain" in TRIAGE.evaluate({**answers, "cancer_history": "yes"}).needs
    # meningitis is never softened (policy v2): fever unsure still asks about a stiff neck
    both = {**answers, "cancer_history": "no", "fever": "unsure"}
    assert "neck_stiffness_headache" in TRIAGE.evaluate(both).needs


def test_the_location_is_asked_for_the_right_stretches():
    ev, screens = interview({**CALM, "sensations": ()})
    assert "location" in asked(screens)
    assert ev.outcome.disposition == "self_stretching"
    assert "routine-lower-back" in ev.fired


def test_screens_to_each_outcome_stay_few():
    # the benchmark measures means over many profiles; here, one plain case of each
    cases = {
        "emergency": {"both_legs": "yes", "both_legs_new": "yes"},
        "doctor": {"fever": "yes"},
        "physical_therapist": {**CALM, "sensations": ("radiating",)},
        "tool_use": {**CALM, "sensations": ("tightness",)},
        "self_stretching": {**CALM, "sensations": ("ache",)},
    }
    for disposition, answers in cases.items():
        ev, screens = interview(answers)
        assert ev.outcome.disposition == disposition
        assert len(screens) <= 10, (disposition, screens)


def shown(ev):
    """What the person is told to do: outcome, cautions, safety net and plan, and apart, the
    findings the plan lists for a doctor and what it says to ask the doctor for (the interview
    cannot list what it did not ask)."""
    r = build_result(ev, RB)
    findings = r["plan"].get("doctor", {}).pop("findings", [])
    if "doctor" in r["plan"]:
        findings += [a["id"] for a in r["plan"].pop("adjustments", [])]
    return (r["disposition"], r["timeframe"], r["cautions"], r["safety_net"], r["plan"]), findings


def same_advice(answers):
    ev, _ = interview(answers)
    (got, findings), (want, all_findings) = shown(ev), shown(TRIAGE.evaluate(answers))
    assert got == want
    # A rule that only an answer of "no" stops (other_than: "unless the pain is familiar")
    # stays among the findings when a more urgent outcome made that question moot.
    moot = {
        r.title
        for r in RB.rules
        if r.id in ev.fired
        and any(c.test == "other_than" and c.question not in ev.answers for c in r.conditions)
    }
    assert set(findings) - moot <= set(all_findings) and bool(findings) == bool(all_findings)


@given(full_answers(QUESTIONS))
def test_the_interview_gives_what_the_full_answers_give(answers):
    same_advice(answers)


@given(full_answers(QUESTIONS, calm=0.9))
def test_the_interview_gives_what_the_full_answers_give_in_calm_cases(answers):
    # mostly "no": these reach the outcomes after the red flags, where most questions are
    # skipped
    same_advice(answers)


def test_progress_counts_screens(triage):
    ev = triage.evaluate({q: "no" for q in EMERGENCY_SIGNS})
    assert ev.progress.done == 1
    assert ev.screen.progress.step == 2
    assert ev.progress.total == ev.progress.done + ev.progress.left


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ("- {id: g, title: T, members: [age]}", "a group holds yes/no questions"),
        ("- {id: g, title: T, members: [nope]}", "unknown question 'nope'"),
        (
            "- {id: g, title: T, members: [fever]}\n  - {id: h, title: T, members: [fever]}",
            "already in group",
        ),
        ("- {id: fever, title: T, members: [night_pain]}", "duplicate id"),
        ("- {id: g, members: [fever]}", "missing or empty"),
    ],
)
def test_a_broken_group_is_refused(rules_copy, groups, message):
    path = rules_copy / "questions.yaml"
    text = path.read_text()
    path.write_text(text[: text.index("groups:")] + "groups:\n  " + groups + "\n")
    with pytest.raises(RuleBaseError, match=message) as err:
        load_rulebase(rules_copy)
    assert "questions.yaml" in str(err.value)


def test_the_first_screen_is_worked_out_once_and_each_caller_gets_its_own(monkeypatch):
    """Every interview starts from no answers: that evaluation runs once per rule base, and
    what one caller does to its copy never reaches the next."""
    from triage.engine import TriageEngine

    engine = TriageEngine(TRIAGE.rulebase)
    runs: list[dict] = []
    evaluate = engine._evaluate
    monkeypatch.setattr(engine, "_evaluate", lambda a: runs.append(dict(a)) or evaluate(a))

    def summary(ev):
        return (
            ev.answers,
            [(f.rule.id, f.matched, f.concluded) for f in ev.firings],
            ev.verdicts,
            ev.needs,
            ev.need_rank,
            [q.id for q in ev.next_questions],
        )

    first = engine.evaluate({})
    expected = summary(evaluate({}))
    assert summary(first) == expected
    first.answers["fever"] = "yes"
    first.firings[0].matched["fever"] = "yes"
    first.firings[0].concluded.clear()
    first.needs[next(iter(first.needs))].append("someone-else")
    first.need_rank.clear()
    first.verdicts.clear()
    engine.evaluate({"fever": "yes"})
    assert summary(engine.evaluate({})) == expected
    assert runs == [{}, {"fever": "yes"}]


def test_two_rules_that_one_answer_stops_do_not_leave_it_unasked():
    """At 50 or over with upper back pain and a condition of the aorta, two doctor rules
    hold until "is the pain new or different?" is answered no. Neither may count the
    other's verdict (which that same answer would stop) as a reason not to ask it: the
    interview asks it and, like the full answers, ends in self-care, not a doctor."""
    person = {
        **CALM,
        "location": "upper_back",
        "age": 60,
        "aortic_risk": "yes",
        "duration_weeks": 3,
        "new_or_different": "no",
    }
    ev, screens = interview(person)
    assert "new_or_different" in asked(screens)
    assert not {"thoracic-pain-50-plus", "aortic-risk-back-pain"} & set(ev.fired)
    assert ev.outcome.self_care
