"""The benchmarks' own yardsticks stay true: the plain-Python reading of the policy that
bench_batch.py times the engine against must decide as the engine does."""

from __future__ import annotations

import sys

from conftest import ROOT
from hypothesis import given
from test_invariants import full as full_answers

sys.path.insert(0, str(ROOT / "benchmarks"))
from reference import compile_reference

from triage.service import Triage

TRIAGE = Triage.load()
DECIDE = compile_reference(TRIAGE.rulebase)


@given(full_answers)
def test_the_reference_decides_as_the_engine_on_complete_answers(ans):
    outcome = TRIAGE.evaluate(ans).outcome
    assert DECIDE(ans) == (outcome.disposition, outcome.timeframe)


def test_the_reference_decides_as_the_engine_on_the_complete_corpus_cases(triage):
    from test_corpus import corpus

    complete = [c for c in corpus(triage) if len(c.answers) == len(triage.rulebase.questions)]
    for case in complete:
        outcome = triage.evaluate(case.answers).outcome
        assert DECIDE(case.answers) == (outcome.disposition, outcome.timeframe), case.id
