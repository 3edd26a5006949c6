"""A plain-Python reading of the policy, for the benchmarks to time the engine against.

It reads the same rule files (the same parsed conditions) and decides a complete case in
one pass over the rules in file order: what an engine-less program hand-written from the
policy would do. It gives only the disposition and timeframe: no next question, no audit
trail, no need rules, so it is a floor for the engine's cost, not a substitute. The
benchmark checks that it agrees with the engine on every case it times.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from triage.knowledge import RuleBase


def compile_reference(rb: RuleBase) -> Callable[[Mapping[str, Any]], tuple[str, str | None]]:
    """``decide(answers) -> (disposition, timeframe)`` for complete, validated answers."""
    softened = rb.softened_tiers
    plan = []
    for r in rb.rules:
        answers = [
            c for c in r.conditions if (c.kind == "answer" and c.question) or c.kind == "derived"
        ]
        yes = {
            c.question
            for c in answers
            if r.tier in softened and c.test in ("is", "in") and "yes" in c.values
        }
        outcome = rb.outcome(r.disposition, r.timeframe) if r.disposition else None
        facts = [(c.kind, c.name) for c in r.conditions if c.kind not in ("answer", "derived")]
        plan.append((r, answers, yes, facts, outcome))
    default = rb.default_outcome
    derived = rb.derived

    def decide(case: Mapping[str, Any]) -> tuple[str, str | None]:
        values = {d.id: d.value(case, derived) for d in derived.values()}  # onset age, counts
        findings: set[str] = set()
        triggers: set[str] = set()
        best = None
        for r, answers, yes, facts, outcome in plan:
            unsure = False
            for c in answers:
                value = case.get(c.question) if c.kind == "answer" else values[c.name]
                if c.holds(value):
                    continue
                if value == "unsure" and c.question in yes:
                    unsure = True
                    continue
                break
            else:
                if not all(_fact_holds(k, n, findings, triggers, best) for k, n in facts):
                    continue
                if r.finding:
                    findings.add(r.finding)
                if outcome is None:
                    continue
                if unsure:
                    triggers.add(r.tier)
                elif best is None or outcome.rank > best.rank:
                    best = outcome
        best = best or default
        return best.disposition, best.timeframe

    return decide


def _fact_holds(kind: str, name: str, findings: set[str], triggers: set[str], best: Any) -> bool:
    if kind == "finding":
        return name in findings
    if kind == "no_finding":
        return name not in findings
    if kind == "trigger_tier":
        return name in triggers
    if kind == "no_disposition":
        return best is None
    raise ValueError(f"unknown condition kind {kind!r}")
