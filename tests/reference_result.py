"""The result record built the straightforward way, every part anew for each case.

This is ``triage/result.py`` as it was before its parts were cached (issue 14): the property
tests check that the cached build gives the very same records.
"""

from __future__ import annotations

from typing import Any

from triage import __version__
from triage.engine import Evaluation
from triage.knowledge import RuleBase
from triage.plans import Region, Text


def build_result(
    ev: Evaluation,
    rb: RuleBase,
    *,
    case_id: str | None = None,
    source: str | None = None,
    note: str | None = None,
    asked: list[dict[str, Any]] | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """The result record of docs/result-record.md, with the plan, cautions and audit trail.

    The advice (plan, cautions, safety net) is what fits the outcome and the ``region``
    (default: the rule base's default region).
    """
    outcome = ev.outcome
    where = rb.plans.region(region)
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
            "plan": build_plan(ev, rb, reasons, where),
            "cautions": _cautions(ev, rb, where),
            "safety_net": [
                t.item(where)["text"]
                for t in rb.plans.safety_net
                if t.applies(outcome.disposition, where)
            ],
            "disclaimer": where.fill(rb.plans.disclaimer.text),
            "region": where.id,
            "trail": _trail(ev, rb),
            "asked": asked if asked is not None else [],
            "answers": {q: list(v) if isinstance(v, tuple) else v for q, v in ev.answers.items()},
            "rulebase": rb.identity(),
            "triage_version": __version__,
        }
    )
    return record


def _reasons(ev: Evaluation, rb: RuleBase) -> list[dict[str, Any]]:
    """Each trigger that fired, most urgent first, in plain words with short sources.

    ``main``: it gives the outcome; ``noted``: a person should hear of it too (a less urgent
    finding, but not a self-care suggestion that the outcome overrides).
    """
    order = {rid: i for i, rid in enumerate(ev.fired)}
    verdicts = sorted(ev.verdicts, key=lambda v: (-v.outcome.rank, order.get(v.rule, 0)))
    top = ev.outcome
    out = []
    for v in verdicts:
        rule = rb.rule(v.rule)
        item: dict[str, Any] = {
            "rule": v.rule,
            "title": rule.title,
            "text": rule.reason,
            "disposition": v.outcome.disposition,
            "timeframe": v.outcome.timeframe,
            "main": v.outcome == top,
            "noted": v.outcome == top or not v.outcome.self_care,
            "source_names": _short(rb, rule.sources),
        }
        if v.via:
            item["softened_by"] = v.via
            item["unsure"] = list(v.unsure)
            # The trigger's own reason says how urgent a definite yes would be; what applies
            # is the softened outcome, so say that, and name the sign.
            item["text"] = f"{rb.rule(v.via).reason} (The sign: {_lower(rule.title)}.)"
        out.append(item)
    return out


def _lower(title: str) -> str:
    return title[:1].lower() + title[1:] if title[1:2].islower() else title


def _short(rb: RuleBase, sources: tuple[str, ...]) -> list[str]:
    """The sources as a patient reads them ("NHS", "NICE guideline NG59"), each once."""
    return list(dict.fromkeys(str(rb.sources[s]["short"]) for s in sources))


def _cautions(ev: Evaluation, rb: RuleBase, where: Region) -> list[dict[str, str]]:
    """The cautions that fit the outcome: those of fired rules (specific to this person)
    first, then the general ones."""
    d = ev.outcome.disposition
    out = [
        {"rule": f.rule.id, "text": f.rule.caution}
        for f in ev.firings
        if f.rule.caution and d in f.rule.shown_for
    ]
    out += [
        {"id": c.id, "text": where.fill(c.text)} for c in rb.plans.cautions if c.applies(d, where)
    ]
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


def _items(texts: tuple[Text, ...], d: str, where: Region) -> list[dict[str, str]]:
    return [t.item(where) for t in texts if t.applies(d, where)]


def build_plan(
    ev: Evaluation, rb: RuleBase, reasons: list[dict[str, Any]], where: Region
) -> dict[str, Any]:
    """The plan for the winning disposition, from plans.yaml (``reasons`` as built)."""
    plans = rb.plans
    outcome = ev.outcome
    d = outcome.disposition
    plan: dict[str, Any] = {"disposition": d, "summary": outcome.label}
    adjust = {f.rule.adjust for f in ev.firings if f.rule.adjust and d in f.rule.shown_for}
    if d == "emergency":
        plan["emergency"] = {
            "now": plans.emergency_now.item(where),
            "meanwhile": plans.emergency_meanwhile.item(where),
        }
    elif d == "doctor":
        plan["doctor"] = {
            "when": plans.doctor[outcome.timeframe or "soon"].item(where),
            "tell_them": plans.doctor["tell_them"].item(where),
            "findings": [r["title"] for r in reasons if r["disposition"] == "doctor"],
        }
    elif d == "physical_therapist":
        plan["physical_therapist"] = {
            "find": _items(plans.pt_find, d, where),
            "ask_about": _items(plans.pt_ask_about, d, where),
            "meanwhile": _items(plans.pt_meanwhile, d, where),
        }
    else:
        chosen = [
            f.rule.routine for f in ev.firings if f.rule.routine and d in f.rule.shown_for
        ] or list(plans.routines)
        if d == "self_stretching":
            plan["self_care"] = plans.self_care.item(where)
        plan["routines"] = {name: _routine(rb, name, adjust, where) for name in chosen}
        findings = {f.rule.finding for f in ev.firings if f.rule.finding}
        if d == "tool_use":
            plan["tools"] = _tools(rb, where, adjust)
        elif plans.tools.avoid_finding in findings:
            plan["tools_avoided"] = plans.tools.avoid_when.item(where)
    if adjust:
        plan["adjustments"] = [
            {"id": name, "text": where.fill(t.text), "source": t.source}
            for name, t in plans.adjustments.items()
            if name in adjust
        ]
    return plan


def _routine(rb: RuleBase, name: str, adjust: set[str], where: Region) -> dict[str, Any]:
    """A routine without the exercises an adjustment leaves out, with the replacements that
    one brings in."""
    routine = rb.plans.routines[name]
    out: dict[str, Any] = {
        "title": routine.title,
        "exercises": [
            {
                "name": e.name,
                "how": e.how,
                "hold_seconds": e.hold_seconds,
                "repetitions": e.repetitions,
                "source": e.source,
            }
            for e in routine.exercises
            if not adjust & set(e.omit_when) and (not e.only_when or adjust & set(e.only_when))
        ],
    }
    if not out["exercises"]:
        out["none_fit"] = rb.plans.none_fit.item(where)
    return out


def _tools(rb: RuleBase, where: Region, adjust: set[str]) -> dict[str, Any]:
    tools = rb.plans.tools
    return {
        "summary": tools.summary.item(where),
        "options": [
            {
                "id": o.id,
                "name": o.name,
                "recommended": o.recommended,
                "use_for": o.use_for,
                "how": o.how,
                "note": o.note,
                "pros": list(o.pros),
                "cons": list(o.cons),
                "source": o.source,
            }
            for o in tools.options
            if not adjust & set(o.omit_when)
        ],
        "placement": tools.placement.item(where),
        "evidence": tools.evidence.item(where),
    }
