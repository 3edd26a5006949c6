"""Safety invariants, checked on random answers (hypothesis)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from strategies import focused_answers, full_answers, some_answers

from triage.service import Triage

TRIAGE = Triage.load()
RB = TRIAGE.rulebase
QUESTIONS = list(RB.questions.values())
SELF_CARE = {"self_stretching", "tool_use"}
# Urgency: the outcomes' order, with the two kinds of self-care level (tool_use is not more
# urgent than stretches; a tool-blocking answer may well turn one into the other).
RANK = {(o.disposition, o.timeframe): max(o.rank, 1) for o in RB.outcomes}
# Red flags: the yes/no questions that on their own trigger an emergency or doctor rule.
RED_FLAGS = sorted(
    {
        r.questions[0]
        for r in RB.rules
        if r.tier in ("emergency", "doctor")
        and len(r.conditions) == 1
        and r.questions
        and RB.questions[r.questions[0]].type == "yesno"
    }
)
# Policy v2's never-softened list: an unsure answer to one of these gives an emergency.
NEVER_SOFTENED = [
    "chest_symptoms",
    "tearing_pain",
    "sudden_severe_pain",
    "sudden_headache",
    "head_neuro_symptoms",
]
TOOL_BLOCKING = ["osteoporosis_or_steroids", "blood_thinners", "hypermobility", "pregnant", "age"]
V1_QUESTIONS = set(RB.questions) - {
    "new_or_different",
    "both_legs_new",
    "sexual_change",
    "sudden_severe_pain",
    "aortic_risk",
    "sudden_headache",
    "exertional_pain",
    "both_arms",
    "neck_flexion_shocks",
    "band_pain",
    "worse_on_straining",
    "infection_risk",
    "constant_progressive",
    "spine_shape_change",
    "pregnant",
    "pregnancy_warning",
    "cannot_walk",
    "inflammatory_signs",
    "outlook",
}
# Red-flag combinations: every yes/no question of a multi-condition red-flag rule, set to yes.
COMBOS = [r for r in RB.rules if r.tier in ("emergency", "doctor") and len(r.conditions) > 1]


answers = some_answers(QUESTIONS)
full = full_answers(QUESTIONS)


def rank(ev):
    return RANK[(ev.outcome.disposition, ev.outcome.timeframe)]


@given(answers, st.sampled_from(RED_FLAGS), st.sampled_from(["yes", "unsure"]))
def test_a_red_flag_never_yields_self_care(ans, flag, value):
    ev = TRIAGE.evaluate({**ans, flag: value})
    assert ev.outcome.disposition not in SELF_CARE, (flag, value, ev.fired)


def test_red_flag_list_is_not_empty():
    assert len(RED_FLAGS) >= 15 and COMBOS


@given(answers, st.sampled_from(COMBOS))
def test_a_combined_red_flag_never_yields_self_care(ans, rule):
    extra = {}
    for c in rule.conditions:
        if c.kind != "answer":  # derived values: the inflammatory back pain rules (test_policy)
            continue
        q = RB.questions[c.question]
        if c.test == "other_than":
            ans = {k: v for k, v in ans.items() if k != q.id}  # unanswered meets it
        elif c.test in ("is", "in", "answered"):
            extra[q.id] = c.values[0]
        elif c.test == "any_of":
            extra[q.id] = (c.values[0],)
        elif c.test == "range":
            extra[q.id] = (
                c.low
                if c.low_inclusive and c.low is not None
                else (c.low + 1 if c.low is not None else c.high - 1)
            )
    if any(c.kind == "derived" for c in rule.conditions):
        return
    ev = TRIAGE.evaluate({**ans, **extra})
    assert ev.outcome.disposition not in SELF_CARE, (rule.id, extra, ev.fired)
    assert rule.id in ev.fired


@given(answers, st.sampled_from(RED_FLAGS))
def test_adding_a_red_flag_never_lowers_urgency(ans, flag):
    before = TRIAGE.evaluate({**ans, flag: "no"})
    after = TRIAGE.evaluate({**ans, flag: "yes"})
    unsure = TRIAGE.evaluate({**ans, flag: "unsure"})
    assert rank(after) >= rank(unsure) >= rank(before)


@given(focused_answers(QUESTIONS), st.sampled_from(RED_FLAGS))
def test_adding_a_red_flag_to_a_calm_case_never_lowers_urgency(ans, flag):
    before = TRIAGE.evaluate({**ans, flag: "no"})
    after = TRIAGE.evaluate({**ans, flag: "yes"})
    assert rank(after) >= rank(before)
    assert after.outcome.disposition not in SELF_CARE


@given(answers, st.sampled_from(NEVER_SOFTENED))
def test_unsure_on_the_never_softened_list_is_an_emergency(ans, flag):
    ev = TRIAGE.evaluate({**ans, flag: "unsure"})
    assert (ev.outcome.disposition, ev.outcome.timeframe) == ("emergency", "now")


@given(
    answers,
    st.sampled_from([("fever", "neck_stiffness_headache")]),
    st.sampled_from(["yes", "unsure"]),
)
def test_unsure_meningitis_is_an_emergency(ans, pair, other):
    ev = TRIAGE.evaluate({**ans, pair[0]: "unsure", pair[1]: other})
    assert ev.outcome.disposition == "emergency"


@given(focused_answers(QUESTIONS), st.sampled_from(TOOL_BLOCKING))
def test_a_missing_tool_blocking_answer_never_gives_tool_use(ans, missing):
    ans = {k: v for k, v in ans.items() if k != missing}
    if missing == "pregnant" and not 12 <= ans.get("age", 30) <= 55:
        return  # pregnancy is asked (and read) at 12 to 55 only
    assert TRIAGE.evaluate(ans).outcome.disposition != "tool_use"


@given(focused_answers(QUESTIONS))
def test_a_missing_new_question_never_escalates(ans):
    """A v1 case (no v2 answers) is never more urgent than the same case with calm v2 answers
    ("no", none), except that a missing tool-blocking answer may turn tools into stretches."""
    v1 = {k: v for k, v in ans.items() if k in V1_QUESTIONS}
    calm = {**v1}
    for q in RB.questions.values():
        if q.id not in V1_QUESTIONS:
            if q.type == "yesno":
                # "no" to a question that lowers urgency would lower it: say it is new
                calm[q.id] = "yes" if q.id in ("new_or_different", "both_legs_new") else "no"
            elif q.type == "multi":
                calm[q.id] = ()
    assert rank(TRIAGE.evaluate(v1)) <= rank(TRIAGE.evaluate(calm))


@given(answers, st.integers(0, 10), st.integers(0, 10))
def test_raising_severity_never_lowers_urgency(ans, a, b):
    low, high = sorted((a, b))
    assert rank(TRIAGE.evaluate({**ans, "severity": high})) >= rank(
        TRIAGE.evaluate({**ans, "severity": low})
    )


@given(answers, st.sampled_from([q.id for q in QUESTIONS if q.type == "yesno"]))
def test_unsure_is_never_less_urgent_than_no(ans, qid):
    assert rank(TRIAGE.evaluate({**ans, qid: "unsure"})) >= rank(
        TRIAGE.evaluate({**ans, qid: "no"})
    )


@given(full)
def test_complete_answers_leave_nothing_unanswered_and_one_disposition(ans):
    ev = TRIAGE.evaluate(ans)
    assert ev.unanswered == []
    assert ev.outcome in RB.outcomes


def test_every_disposition_is_reachable():
    reached = set()
    for r in RB.rules:
        if r.disposition:
            reached.add((r.disposition, r.timeframe))
    assert reached == {(o.disposition, o.timeframe) for o in RB.outcomes}
    # and concretely, through the engine:
    safe = {q: "no" for q in ("osteoporosis_or_steroids", "blood_thinners", "hypermobility")}
    examples = [
        {"chest_symptoms": "yes"},
        {"fever": "yes"},
        {"weight_loss": "yes"},
        {"function_limited": "yes"},
        {
            "location": "lower_back",
            "sensations": ("tightness",),
            "age": 30,
            "pregnant": "no",
            **safe,
        },
        {},
    ]
    got = {(e.outcome.disposition, e.outcome.timeframe) for e in map(TRIAGE.evaluate, examples)}
    assert got == {(o.disposition, o.timeframe) for o in RB.outcomes}


def test_every_rule_cites_a_known_source():
    for r in RB.rules:
        assert r.sources, r.id
        for s in r.sources:
            assert RB.sources[s]["citation"], (r.id, s)
