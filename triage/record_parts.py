"""The parts of result records that do not depend on the answers, built once per rule base.

A record's advice (plan, cautions, safety net, disclaimer) depends only on the rule base, the
outcome, the region and, for some plans, a few facts of the case (the findings a doctor is
told of, the routines and the tools to avoid); its reasons and trail entries repeat each
rule's title, text and sources. Building these anew for every case took most of a record's
time, so they are built once, the first time they are needed, and kept as immutable values:
strings, tuples of strings, and nested parts as JSON bytes. Each record gets fresh lists and
dicts (``orjson.loads`` of the bytes is faster than building the part again or deep-copying
it), so a caller that changes one record changes no other.

Every cache key holds the objects it is keyed on (by ``id``), so an ``id`` in a key is never
that of another, later object; the rule base holds its parts (``parts``).
"""

from __future__ import annotations

import copy
from typing import Any, NotRequired, TypedDict

import orjson

from .engine import Evaluation, VerdictInfo
from .knowledge import KRule, Outcome, RuleBase
from .plans import Plans, Region, Text

MAX_PLANS = 4096  # self-care plans kept per outcome and region (one per choice of routines)
_FIXED_PLANS = ("emergency", "doctor", "physical_therapist")  # the same for every case


class Reason(TypedDict):
    """One reason of a record (docs/result-record.md)."""

    rule: str
    title: str
    text: str
    disposition: str
    timeframe: str | None
    main: bool
    noted: bool
    source_names: list[str] | None  # None only in the kept template; a record's is a list
    softened_by: NotRequired[str]
    unsure: NotRequired[list[str] | None]  # likewise


class TrailEntry(TypedDict):
    """One entry of a record's trail: a rule that fired, with what it matched."""

    seq: int
    rule: str
    title: str
    tier: str
    source: list[str]
    matched: dict[str, Any]
    concluded: dict[str, Any]
    unsure: NotRequired[list[str]]
    softens: NotRequired[str]


class Frozen:
    """A nested part (dicts, lists, strings, numbers) kept immutable; ``fresh`` copies it."""

    __slots__ = ("_bytes", "_value")

    def __init__(self, value: Any):
        try:
            self._bytes: bytes | None = orjson.dumps(value)
            self._value = None
        except orjson.JSONEncodeError:  # a lone surrogate in a rule file, say: copy it
            self._bytes, self._value = None, copy.deepcopy(value)

    def fresh(self) -> Any:
        """A new copy, sharing nothing mutable with this part or any other copy."""
        if self._bytes is not None:
            return orjson.loads(self._bytes)
        return copy.deepcopy(self._value)


class Advice:
    """What a record advises for one outcome in one region."""

    def __init__(self, plans: Plans, outcome: Outcome, where: Region):
        d = outcome.disposition
        self.plans, self.outcome, self.where = plans, outcome, where  # held: see the module's note
        self.safety_net = tuple(
            t.item(where)["text"] for t in plans.safety_net if t.applies(d, where)
        )
        self.disclaimer = where.fill(plans.disclaimer.text)
        self.cautions = tuple(
            (c.id, where.fill(c.text)) for c in plans.cautions if c.applies(d, where)
        )
        self._plans: dict[tuple[tuple[str, ...], bool, frozenset[str]], Frozen] = {}
        self._adjusted: dict[str, dict[str, str]] = {}  # each adjustment's text item
        self._plan = Frozen(_plan(plans, outcome, where)) if d in _FIXED_PLANS else None

    def plan(self, ev: Evaluation, reasons: list[Reason]) -> dict[str, Any]:
        """The plan for this case (``reasons`` as built for it), a fresh copy."""
        d = self.outcome.disposition
        adjust = frozenset(
            f.rule.adjust for f in ev.firings if f.rule.adjust and d in f.rule.shown_for
        )
        if self._plan is not None:
            plan = self._plan.fresh()
            if d == "doctor":
                plan["doctor"]["findings"] = [
                    r["title"] for r in reasons if r["disposition"] == "doctor"
                ]
            if adjust:
                plan["adjustments"] = [
                    self._adjustment(name) for name in self.plans.adjustments if name in adjust
                ]
            return plan
        chosen = tuple(
            f.rule.routine for f in ev.firings if f.rule.routine and d in f.rule.shown_for
        )
        avoid = self.plans.tools.avoid_finding
        avoided = d != "tool_use" and any(f.rule.finding == avoid for f in ev.firings)
        key = (chosen, avoided, adjust)
        frozen = self._plans.get(key)
        if frozen is None:
            frozen = Frozen(_plan(self.plans, self.outcome, self.where, chosen, avoided, adjust))
            if len(self._plans) < MAX_PLANS:
                self._plans[key] = frozen
        return frozen.fresh()

    def _adjustment(self, name: str) -> dict[str, str]:
        """An adjustment's text item, a fresh dict (of strings)."""
        item = self._adjusted.get(name)
        if item is None:
            item = self._adjusted[name] = self.plans.adjustments[name].item(self.where)
        return item.copy()


# the verdict's outcome and the record's (held: see the module's note), the reason, its sources
_Reason = tuple[Outcome, Outcome, Reason, tuple[str, ...]]


class Parts:
    """One rule base's cached parts of records."""

    def __init__(self, rb: RuleBase):
        self.plans, self.sources = rb.plans, rb.sources
        self.identity = rb.identity()
        self.rules = {r.id: r for r in rb.rules}
        # Canonical answers are tuples only for multiple-choice questions (Question.parse):
        # only those become lists in a record.
        self.multi = tuple(q.id for q in rb.questions.values() if q.type == "multi")
        self._advice: dict[tuple[int, int], Advice] = {}
        self._reasons: dict[tuple[str, str | None, int, int], _Reason] = {}
        self._trail: dict[int, _Entry] = {}

    def advice(self, outcome: Outcome, where: Region) -> Advice:
        """The advice for an outcome in a region."""
        advice = self._advice.get((id(outcome), id(where)))
        if advice is None:
            advice = self._advice[(id(outcome), id(where))] = Advice(self.plans, outcome, where)
        return advice

    def answers(self, answers: dict[str, Any]) -> dict[str, Any]:
        """Answers as a record gives them: a fresh dict, lists for multiple choices."""
        return _listed(answers, self.multi)

    def reasons(self, ev: Evaluation, order: dict[str, int]) -> tuple[Outcome, list[Reason]]:
        """The outcome, and each trigger that fired, most urgent first (of equals, the first
        to fire: ``order``), in plain words with short sources.

        ``main``: it gives the outcome; ``noted``: a person should hear of it too (a less
        urgent finding, but not a self-care suggestion that the outcome overrides).
        """
        verdicts = sorted(ev.verdicts, key=lambda v: (-v.outcome.rank, order.get(v.rule, 0)))
        # ev.outcome, the most urgent verdict's, without a second pass (each rank is one
        # outcome's)
        top = verdicts[0].outcome if verdicts else ev.outcome
        cache = self._reasons
        out: list[Reason] = []
        for v in verdicts:
            key = (v.rule, v.via, id(v.outcome), id(top))
            cached = cache.get(key)
            if cached is None:
                cached = cache[key] = self._reason(v, top)
            item = cached[2].copy()
            item["source_names"] = list(cached[3])
            if v.via:
                item["unsure"] = list(v.unsure)
            out.append(item)
        return top, out

    def _reason(self, v: VerdictInfo, top: Outcome) -> _Reason:
        rule = self.rules[v.rule]
        main = v.outcome == top
        item: Reason = {
            "rule": v.rule,
            "title": rule.title,
            "text": rule.reason,
            "disposition": v.outcome.disposition,
            "timeframe": v.outcome.timeframe,
            "main": main,
            "noted": main or not v.outcome.self_care,
            "source_names": None,  # a fresh list for each record
        }
        if v.via:
            item["softened_by"] = v.via
            item["unsure"] = None  # the verdict's own
            # The trigger's own reason says how urgent a definite yes would be; what applies
            # is the softened outcome, so say that, and name the sign.
            item["text"] = f"{self.rules[v.via].reason} (The sign: {_lower(rule.title)}.)"
        names = tuple(dict.fromkeys(str(self.sources[s]["short"]) for s in rule.sources))
        return v.outcome, top, item, names

    def trail(self, ev: Evaluation) -> Walk:
        """Every rule that fired, in order, with its source and the answers it matched (HOW).

        With it, what else a record needs from the firings, gathered on the same pass: the
        rules' ids (``fired``), each one's place among them (``order``; the last, for a rule
        that fired twice) and the firings whose rule has a caution.
        """
        cache = self._trail
        trail: list[TrailEntry] = []
        fired: list[str] = []
        order: dict[str, int] = {}
        cautioned: list[KRule] = []
        for seq, f in enumerate(ev.firings, 1):
            rule = f.rule
            cached = cache.get(id(rule))
            if cached is None:
                cached = cache[id(rule)] = self._entry(rule)
            _, rid, title, tier, citations, multi = cached
            fired.append(rid)
            order[rid] = seq - 1
            entry: TrailEntry = {
                "seq": seq,
                "rule": rid,
                "title": title,
                "tier": tier,
                "source": list(citations),
                "matched": _listed(f.matched, multi) if multi else f.matched.copy(),
                "concluded": f.concluded.copy(),  # of strings
            }
            if f.unsure:
                entry["unsure"] = list(f.unsure)
            if f.softens:
                entry["softens"] = f.softens
            if rule.caution:
                cautioned.append(rule)
            trail.append(entry)
        return trail, fired, order, cautioned

    def _entry(self, rule: KRule) -> _Entry:
        citations = tuple(self.sources[s]["citation"] for s in rule.sources)
        multi = tuple(q for q in rule.questions if q in self.multi)
        return rule, rule.id, rule.title, rule.tier, citations, multi


# the rule (held: see the module's note), its id, title, tier, citations, multiple choices
_Entry = tuple[KRule, str, str, str, tuple[str, ...], tuple[str, ...]]
# a case's trail, fired rules, their order and the cautioned rules that fired
Walk = tuple[list[TrailEntry], list[str], dict[str, int], list[KRule]]


def _listed(answers: dict[str, Any], multi: tuple[str, ...]) -> dict[str, Any]:
    """A copy of ``answers`` with the multiple choices (tuples) among ``multi`` as lists."""
    out = answers.copy()
    for q in multi:
        value = out.get(q)
        if isinstance(value, tuple):
            out[q] = list(value)
    return out


def parts(rb: RuleBase) -> Parts:
    """The cached parts of ``rb``'s records, made on first use and kept by the rule base itself
    (an attribute, not a dataclass field), so they go when it goes."""
    cached = vars(rb).get("_record_parts")
    if cached is None:
        cached = vars(rb)["_record_parts"] = Parts(rb)
    return cached


def _lower(title: str) -> str:
    return title[:1].lower() + title[1:] if title[1:2].islower() else title


# --- the plan, built the plain way (then cached) ---------------------------------------------


def _items(texts: tuple[Text, ...], d: str, where: Region) -> list[dict[str, str]]:
    return [t.item(where) for t in texts if t.applies(d, where)]


def _plan(
    plans: Plans,
    outcome: Outcome,
    where: Region,
    chosen: tuple[str, ...] = (),
    avoided: bool = False,
    adjust: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The plan for the outcome, from plans.yaml; a doctor's ``findings`` left empty, and for
    self-care the ``chosen`` routines (none: all), whether tools are ``avoided`` and the plan
    adjustments that apply (``adjust``: exercises and tools left out or brought in)."""
    d = outcome.disposition
    plan: dict[str, Any] = {"disposition": d, "summary": outcome.label}
    if d == "emergency":
        plan["emergency"] = {
            "now": plans.emergency_now.item(where),
            "meanwhile": plans.emergency_meanwhile.item(where),
        }
    elif d == "doctor":
        plan["doctor"] = {
            "when": plans.doctor[outcome.timeframe or "soon"].item(where),
            "tell_them": plans.doctor["tell_them"].item(where),
            "findings": [],
        }
    elif d == "physical_therapist":
        plan["physical_therapist"] = {
            "find": _items(plans.pt_find, d, where),
            "ask_about": _items(plans.pt_ask_about, d, where),
            "meanwhile": _items(plans.pt_meanwhile, d, where),
        }
    else:
        if d == "self_stretching":
            plan["self_care"] = plans.self_care.item(where)
        plan["routines"] = {
            name: _routine(plans, name, adjust, where) for name in chosen or plans.routines
        }
        if d == "tool_use":
            plan["tools"] = _tools(plans, where, adjust)
        elif avoided:
            plan["tools_avoided"] = plans.tools.avoid_when.item(where)
        if adjust:
            plan["adjustments"] = [
                plans.adjustments[name].item(where) for name in plans.adjustments if name in adjust
            ]
    return plan


def _routine(
    plans: Plans, name: str, adjust: frozenset[str] = frozenset(), where: Region | None = None
) -> dict[str, Any]:
    routine = plans.routines[name]
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
            if e.fits(adjust)
        ],
    }
    if not out["exercises"] and plans.none_fit is not None and where is not None:
        out["none_fit"] = plans.none_fit.item(where)
    return out


def _tools(plans: Plans, where: Region, adjust: frozenset[str] = frozenset()) -> dict[str, Any]:
    tools = plans.tools
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
            if not adjust.intersection(o.omit_when)
        ],
        "placement": tools.placement.item(where),
        "evidence": tools.evidence.item(where),
    }
