"""One or more tests per trigger of spec/policy.md, including its boundaries and 'unsure'."""

from __future__ import annotations

import pytest

# A person with nothing wrong: a mild, recent lower-back ache. Each test adds to it.
BASE = {
    "age": 35,
    "location": "lower_back",
    "severity": 3,
    "duration_weeks": 1,
    "sensations": ["ache"],
}


def run(triage, **changes):
    answers = {**BASE, **changes}
    canonical = {q: triage.rulebase.questions[q].parse(v) for q, v in answers.items()}
    return triage.evaluate(canonical)


def outcome(ev):
    return ev.outcome.disposition, ev.outcome.timeframe


EMERGENCY = [
    ({"saddle_numbness": "yes"}, "ces-saddle-numbness"),
    ({"bladder_bowel_change": "yes"}, "ces-bladder-bowel"),
    ({"both_legs": "yes"}, "ces-both-legs"),
    ({"major_trauma": "yes"}, "major-trauma"),
    ({"minor_trauma": "yes", "age": 65}, "fragility-fracture-age"),
    ({"minor_trauma": "yes", "age": 80}, "fragility-fracture-age"),
    ({"minor_trauma": "yes", "osteoporosis_or_steroids": "yes"}, "fragility-fracture-bone-health"),
    ({"chest_symptoms": "yes"}, "cardiac-chest-symptoms"),
    ({"tearing_pain": "yes"}, "aortic-tearing-pain"),
    ({"fever": "yes", "neck_stiffness_headache": "yes"}, "meningitis-fever-neck-stiffness"),
    ({"head_neuro_symptoms": "yes"}, "arterial-head-neuro"),
    ({"cancer_history": "yes", "worsening_weakness": "yes"}, "mscc-cancer-worsening-weakness"),
    ({"cancer_history": "yes", "sensations": ["numbness"]}, "mscc-cancer-neuro-sensations"),
    ({"cancer_history": "yes", "sensations": ["ache", "weakness"]}, "mscc-cancer-neuro-sensations"),
]


@pytest.mark.parametrize(("changes", "rule"), EMERGENCY)
def test_emergency_triggers(triage, changes, rule):
    ev = run(triage, **changes)
    assert outcome(ev) == ("emergency", "now")
    assert rule in ev.fired


@pytest.mark.parametrize(("changes", "rule"), EMERGENCY)
def test_emergency_trigger_on_unsure_gives_same_day_doctor(triage, changes, rule):
    """Reading one yes/no answer of the trigger as unsure softens it to a same-day doctor."""
    yesno = [q for q, v in changes.items() if v == "yes"]
    for q in yesno:
        ev = run(triage, **{**changes, q: "unsure"})
        assert outcome(ev) == ("doctor", "same_day"), q
        assert rule in ev.fired and "unsure-emergency-sign" in ev.fired
        assert q in ev.unsure_answers


def test_fragility_boundary_age_64_is_not_emergency(triage):
    ev = run(triage, minor_trauma="yes", age=64)
    assert ev.outcome.disposition != "emergency"
    assert "fragility-fracture-age" not in ev.fired


DOCTOR = [
    ({"fever": "yes"}, "infection-fever", "same_day"),
    ({"worsening_weakness": "yes"}, "progressive-weakness", "same_day"),
    ({"hand_clumsiness_or_unsteady": "yes"}, "myelopathy-hands-gait", "same_day"),
    ({"cancer_history": "yes"}, "cancer-history-new-pain", "same_day"),
    ({"weight_loss": "yes"}, "weight-loss", "soon"),
    ({"night_pain": "yes"}, "night-pain", "soon"),
    ({"immune_risk": "yes"}, "immune-risk", "soon"),
    ({"sensations": ["weakness"]}, "weakness-sensation", "soon"),
    ({"pain_when_cracking": "yes"}, "pain-when-cracking", "soon"),
    ({"severity": 9}, "severe-pain-9-plus", "soon"),
    ({"severity": 10}, "severe-pain-9-plus", "soon"),
    ({"age": 51, "duration_weeks": 4}, "older-no-improvement", "soon"),
    ({"age": 15}, "under-16", "soon"),
    ({"age": 0}, "under-16", "soon"),
]


@pytest.mark.parametrize(("changes", "rule", "timeframe"), DOCTOR)
def test_doctor_triggers(triage, changes, rule, timeframe):
    ev = run(triage, **changes)
    assert outcome(ev) == ("doctor", timeframe)
    assert rule in ev.fired


@pytest.mark.parametrize(
    ("changes", "rule", "timeframe"), [d for d in DOCTOR if "yes" in d[0].values()]
)
def test_doctor_trigger_on_unsure_gives_doctor_soon(triage, changes, rule, timeframe):
    q = next(k for k, v in changes.items() if v == "yes")
    ev = run(triage, **{q: "unsure"})
    assert outcome(ev) == ("doctor", "soon")
    assert rule in ev.fired and "unsure-doctor-sign" in ev.fired


@pytest.mark.parametrize(
    ("changes", "fired_rule"),
    [
        ({"age": 16}, None),
        ({"age": 50, "duration_weeks": 4}, None),
        ({"age": 51, "duration_weeks": 3.9}, None),
        ({"severity": 8}, "severe-pain-7-8"),
    ],
)
def test_doctor_boundaries_not_met(triage, changes, fired_rule):
    ev = run(triage, **changes)
    assert ev.outcome.disposition != "doctor"
    if fired_rule:
        assert fired_rule in ev.fired


PHYSIO = [
    ({"duration_weeks": 6}, "persistent-6-weeks"),
    ({"duration_weeks": 6, "location": "neck"}, "persistent-6-weeks"),
    ({"duration_weeks": 4, "location": "neck"}, "neck-persistent-4-weeks"),
    ({"severity": 7}, "severe-pain-7-8"),
    ({"severity": 8}, "severe-pain-7-8"),
    ({"function_limited": "yes"}, "function-limited"),
    ({"sensations": ["radiating"]}, "nerve-symptoms"),
    ({"sensations": ["tingling"]}, "nerve-symptoms"),
    ({"sensations": ["numbness"]}, "nerve-symptoms"),
    ({"self_care_not_helping": "yes"}, "self-care-not-helping"),
]


@pytest.mark.parametrize(("changes", "rule"), PHYSIO)
def test_physical_therapist_triggers(triage, changes, rule):
    ev = run(triage, **changes)
    assert outcome(ev) == ("physical_therapist", None)
    assert rule in ev.fired


@pytest.mark.parametrize(
    "changes",
    [
        {"duration_weeks": 5.9},
        {"duration_weeks": 3.9, "location": "neck"},
        {"duration_weeks": 4, "location": "lower_back"},
        {"duration_weeks": 4, "location": "upper_back"},
        {"severity": 6},
        {"function_limited": "unsure"},
        {"self_care_not_helping": "unsure"},
    ],
)
def test_physical_therapist_boundaries_and_unsure_do_not_fire(triage, changes):
    ev = run(triage, **changes)
    assert ev.outcome.disposition in ("self_stretching", "tool_use")


def test_tool_use_for_tight_back(triage):
    for location in ("upper_back", "lower_back"):
        ev = run(triage, sensations=["tightness"], location=location)
        assert outcome(ev) == ("tool_use", None)
        assert "tool-tight-back-muscles" in ev.fired


def test_tightness_in_the_neck_is_not_tool_use(triage):
    ev = run(triage, sensations=["tightness"], location="neck")
    assert ev.outcome.disposition == "self_stretching"


@pytest.mark.parametrize(
    ("risk", "caution_rule"),
    [
        ("osteoporosis_or_steroids", "caution-bone-health"),
        ("blood_thinners", "caution-blood-thinners"),
        ("hypermobility", "caution-hypermobility"),
    ],
)
@pytest.mark.parametrize("answer", ["yes", "unsure"])
def test_tools_avoided_with_contraindication(triage, risk, caution_rule, answer):
    ev = run(triage, sensations=["tightness"], **{risk: answer})
    assert ev.outcome.disposition == "self_stretching"
    assert caution_rule in ev.fired and "tools-not-advised" in ev.fired
    assert "tool-tight-back-muscles" not in ev.fired


def test_no_trigger_gives_self_stretching(triage):
    ev = run(triage)
    assert outcome(ev) == ("self_stretching", None)
    assert [f for f in ev.fired if not f.startswith("routine-")] == ["no-trigger-self-stretching"]


def test_most_urgent_wins_and_every_trigger_is_reported(triage):
    ev = run(triage, severity=8, weight_loss="yes", fever="yes", chest_symptoms="yes")
    assert outcome(ev) == ("emergency", "now")
    for rule in ("cardiac-chest-symptoms", "infection-fever", "weight-loss", "severe-pain-7-8"):
        assert rule in ev.fired
    assert "no-trigger-self-stretching" not in ev.fired


def test_same_day_beats_soon(triage):
    ev = run(triage, weight_loss="yes", hand_clumsiness_or_unsteady="yes")
    assert outcome(ev) == ("doctor", "same_day")


def test_definite_emergency_beats_softened_one(triage):
    ev = run(triage, saddle_numbness="unsure", chest_symptoms="yes")
    assert outcome(ev) == ("emergency", "now")


def test_frequent_cracking_caution(triage):
    ev = run(triage, frequent_cracking="yes")
    assert "caution-frequent-cracking" in ev.fired
    assert ev.outcome.disposition == "self_stretching"
