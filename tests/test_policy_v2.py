"""The rule base decides as the policy's own words say (tests/policy_v2.py), on random
answers: partial, complete, and complete with mostly "no" so that the later outcomes come up."""

from __future__ import annotations

from hypothesis import given, settings
from policy_v2 import decide
from strategies import focused_answers, full_answers, some_answers

from triage.service import Triage

TRIAGE = Triage.load()
QUESTIONS = list(TRIAGE.rulebase.questions.values())


def _engine(ans):
    o = TRIAGE.evaluate(ans).outcome
    return o.disposition, o.timeframe


@given(some_answers(QUESTIONS))
def test_the_rules_follow_the_policy_on_partial_answers(ans):
    assert _engine(ans) == decide(ans), ans


@given(full_answers(QUESTIONS))
def test_the_rules_follow_the_policy_on_complete_answers(ans):
    assert _engine(ans) == decide(ans), ans


@given(full_answers(QUESTIONS, calm=0.9))
def test_the_rules_follow_the_policy_on_mostly_calm_answers(ans):
    assert _engine(ans) == decide(ans), ans


@settings(max_examples=1500)
@given(focused_answers(QUESTIONS))
def test_the_rules_follow_the_policy_on_calm_cases_with_a_few_signs(ans):
    assert _engine(ans) == decide(ans), ans
