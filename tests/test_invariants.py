"""Safety invariants, checked on random answers (hypothesis)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from strategies import full_answers, some_answers

from triage.service import Triage

TRIAGE = Triage.load()
RB = TRIAGE.rulebase
QUESTIONS = list(RB.questions.values())
RANK = {(o.disposition, o.timeframe): o.rank for o in RB.outcomes}
SELF_CARE = {"self_stretching", "tool_use"}
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
        q = RB.questions[c.question]
        if c.test in ("is", "in"):
            extra[q.id] = c.values[0]
        elif c.test == "any_of":
            extra[q.id] = (c.values[0],)
        elif c.test == "range":
            extra[q.id] = (
                c.low
                if c.low_inclusive and c.low is not None
                else (c.low + 1 if c.low is not None else c.high - 1)
            )
    ev = TRIAGE.evaluate({**ans, **extra})
    assert ev.outcome.disposition not in SELF_CARE, (rule.id, extra, ev.fired)
    assert rule.id in ev.fired


@given(answers, st.sampled_from(RED_FLAGS))
def test_adding_a_red_flag_never_lowers_urgency(ans, flag):
    before = TRIAGE.evaluate({**ans, flag: "no"})
    after = TRIAGE.evaluate({**ans, flag: "yes"})
    unsure = TRIAGE.evaluate({**ans, flag: "unsure"})
    assert rank(after) >= rank(unsure) >= rank(before)


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
    examples = [
        {"chest_symptoms": "yes"},
        {"fever": "yes"},
        {"weight_loss": "yes"},
        {"function_limited": "yes"},
        {"location": "lower_back", "sensations": ("tightness",)},
        {},
    ]
    got = {(e.outcome.disposition, e.outcome.timeframe) for e in map(TRIAGE.evaluate, examples)}
    assert got == {(o.disposition, o.timeframe) for o in RB.outcomes}


def test_every_rule_cites_a_known_source():
    for r in RB.rules:
        assert r.sources, r.id
        for s in r.sources:
            assert RB.sources[s]["citation"], (r.id, s)
