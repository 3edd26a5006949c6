"""Turning an evaluation into the result record a person, a clinic or an auditor reads.

What does not depend on the answers (the advice for the outcome and region, each rule's
title, text and sources) comes from ``record_parts``, built once per rule base; every record
still gets lists and dicts of its own.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from . import __version__
from .engine import Evaluation
from .knowledge import RuleBase
from .record_parts import Reason, TrailEntry, parts


class ResultRecord(TypedDict):
    """The result record of docs/result-record.md, in its key order (the parts inside stay
    plain dicts: the plan's parts differ by disposition)."""

    id: str | None
    source: str | None
    note: NotRequired[str | None]  # only when the case has a note
    disposition: str
    timeframe: str | None
    label: str
    reasons: list[Reason]
    fired: list[str]
    unanswered: list[str]
    complete: bool
    unsure: list[str]
    plan: dict[str, Any]
    cautions: list[dict[str, Any]]
    safety_net: list[str]
    disclaimer: str
    region: str
    trail: list[TrailEntry]
    asked: list[dict[str, Any]]
    answers: dict[str, Any]
    rulebase: dict[str, str]
    triage_version: str


def build_result(
    ev: Evaluation,
    rb: RuleBase,
    *,
    case_id: str | None = None,
    source: str | None = None,
    note: str | None = None,
    asked: list[dict[str, Any]] | None = None,
    region: str | None = None,
) -> ResultRecord:
    """The result record of docs/result-record.md, with the plan, cautions and audit trail.

    The advice (plan, cautions, safety net) is what fits the outcome and the ``region``
    (default: the rule base's default region).
    """
    cached = parts(rb)
    trail, fired, order, cautioned = cached.trail(ev)
    outcome, reasons = cached.reasons(ev, order)
    where = rb.plans.region(region)
    advice = cached.advice(outcome, where)
    unanswered = ev.unanswered
    d = outcome.disposition
    # The cautions that fit the outcome: those of fired rules (specific to this person)
    # first, then the general ones.
    cautions = [{"rule": r.id, "text": r.caution} for r in cautioned if d in r.shown_for]
    cautions += [{"id": cid, "text": text} for cid, text in advice.cautions]
    answers = ev.answers
    record: ResultRecord = {
        "id": case_id,
        "source": source,
        "note": note,
        "disposition": d,
        "timeframe": outcome.timeframe,
        "label": outcome.label,
        "reasons": reasons,
        "fired": fired,
        "unanswered": unanswered,
        "complete": not unanswered,
        "unsure": [q for q, v in answers.items() if v == "unsure"],
        "plan": advice.plan(ev, reasons),
        "cautions": cautions,
        "safety_net": list(advice.safety_net),
        "disclaimer": advice.disclaimer,
        "region": where.id,
        "trail": trail,
        "asked": asked if asked is not None else [],
        "answers": cached.answers(answers),
        "rulebase": cached.identity.copy(),
        "triage_version": __version__,
    }
    if note is None:  # no "note" key then; the others keep their order
        del record["note"]
    return record
