"""Turning an evaluation into the result record a person, a clinic or an auditor reads."""

from __future__ import annotations

from typing import Any

from . import __version__
from .engine import Evaluation
from .knowledge import RuleBase


def build_result(
    ev: Evaluation,
    rb: RuleBase,
    *,
    case_id: str | None = None,
    source: str | None = None,
    note: str | None = None,
    asked: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The result record of case-format.md, with the plan, cautions and the audit trail."""
    outcome = ev.outcome
    reasons = _reasons(ev, rb)
    record: dict[str, Any] = {"id": case_id, "source": source}
    if note is not None:
        record["note"] = note
    record.update(
        {
            "disposition": outcome.disposition,
            "timeframe": outcome.timeframe,
            "label": outcome.label,
            "reasons": reasons,
            "fired": ev.fired,
            "unanswered": ev.unanswered,
            "complete": not ev.unanswered,
            "unsure": ev.unsure_answers,
            "plan": build_plan(ev, rb, reasons),
            "cautions": _cautions(ev, rb),
            "safety_net": [item["text"] for item in rb.plans.get("safety_net", [])],
            "disclaimer": (rb.plans.get("disclaimer") or {}).get("text", ""),
            "trail": _trail(ev, rb),
            "asked": asked if asked is not None else [],
            "answers": {q: list(v) if isinstance(v, tuple) else v for q, v in ev.answers.items()},
            "rulebase": rb.identity(),
            "triage_version": __version__,
        }
    )
    return record


def _reasons(ev: Evaluation, rb: RuleBase) -> list[dict[str, Any]]:
    """Each trigger that fired, most urgent first, in plain words."""
    order = {rid: i for i, rid in enumerate(ev.fired)}
    verdicts = sorted(ev.verdicts, key=lambda v: (-v.outcome.rank, order.get(v.rule, 0)))
    out = []
    for v in verdicts:
        rule = rb.rule(v.rule)
        item: dict[str, Any] = {
            "rule": v.rule,
            "title": rule.title,
            "text": rule.reason,
            "disposition": v.outcome.disposition,
            "timeframe": v.outcome.timeframe,
        }
        if v.via:
            item["softened_by"] = v.via
            item["unsure"] = list(v.unsure)
            item["text"] = f"{rule.reason} {rb.rule(v.via).reason}"
        out.append(item)
    return out


def _cautions(ev: Evaluation, rb: RuleBase) -> list[dict[str, str]]:
    """Cautions from fired rules first (they are specific to this person), then the general ones."""
    out = [{"rule": f.rule.id, "text": f.rule.caution} for f in ev.firings if f.rule.caution]
    out += [{"id": c["id"], "text": c["text"]} for c in rb.plans.get("cautions", [])]
    return out


def _trail(ev: Evaluation, rb: RuleBase) -> list[dict[str, Any]]:
    """Every rule that fired, in order, with its source and the answers it matched (HOW)."""
    trail = []
    for seq, f in enumerate(ev.firings, 1):
        entry: dict[str, Any] = {
            "seq": seq,
            "rule": f.rule.id,
            "title": f.rule.title,
            "tier": f.rule.tier,
            "source": [rb.sources[s]["citation"] for s in f.rule.sources],
            "matched": {q: list(v) if isinstance(v, tuple) else v for q, v in f.matched.items()},
            "concluded": f.concluded,
        }
        if f.unsure:
            entry["unsure"] = list(f.unsure)
        if f.softens:
            entry["softens"] = f.softens
        trail.append(entry)
    return trail


def build_plan(ev: Evaluation, rb: RuleBase, reasons: list[dict[str, Any]]) -> dict[str, Any]:
    """The plan for the winning disposition, drawn from plans.yaml (``reasons`` as built)."""
    plans = rb.plans
    outcome = ev.outcome
    location = ev.answers.get("location")
    routines = plans.get("routines", {})
    plan: dict[str, Any] = {"disposition": outcome.disposition, "summary": outcome.label}
    if outcome.disposition == "emergency":
        plan["emergency"] = plans.get("emergency", {})
    elif outcome.disposition == "doctor":
        doctor = plans.get("doctor", {})
        plan["doctor"] = {
            "when": doctor.get(outcome.timeframe or "soon"),
            "tell_them": doctor.get("tell_them"),
            "findings": [r["title"] for r in reasons if r["disposition"] == "doctor"],
        }
    elif outcome.disposition == "physical_therapist":
        plan["physical_therapist"] = plans.get("physical_therapist", {})
    else:
        chosen = [location] if location in routines else list(routines)
        plan["routines"] = {loc: routines[loc] for loc in chosen}
        if outcome.disposition == "tool_use":
            plan["tools"] = plans.get("tools", {})
        else:
            avoid = (plans.get("tools") or {}).get("avoid_when") or {}
            if avoid.get("finding") in {f.rule.finding for f in ev.firings if f.rule.finding}:
                plan["tools_avoided"] = avoid
    return plan
