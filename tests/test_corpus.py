"""Every case in cases/ gives what its `expect` says."""

from __future__ import annotations

from conftest import ROOT

from triage.cases import Case, iter_cases
from triage.service import check_expectation

CASES_DIR = ROOT / "cases"


def corpus(triage):
    return list(iter_cases([str(CASES_DIR)], triage.rulebase))


def test_corpus_is_large_and_valid(triage):
    items = corpus(triage)
    bad = [i.line() for i in items if not isinstance(i, Case)]
    assert not bad, bad
    assert len(items) >= 30
    assert all(i.expect for i in items)


def test_every_case_meets_its_expectation(triage):
    failures = []
    for case in corpus(triage):
        problems = check_expectation(case, triage.result(case))
        if problems:
            failures.append((case.id, problems))
    assert not failures, failures


def test_corpus_covers_every_rule_and_outcome(triage):
    fired, outcomes = set(), set()
    for case in corpus(triage):
        rec = triage.result(case)
        fired.update(rec["fired"])
        outcomes.add((rec["disposition"], rec["timeframe"]))
    assert {r.id for r in triage.rulebase.rules} <= fired
    assert outcomes == {(o.disposition, o.timeframe) for o in triage.rulebase.outcomes}


def test_ids_are_unique(triage):
    ids = [c.id for c in corpus(triage)]
    assert len(ids) == len(set(ids))
