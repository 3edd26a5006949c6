"""Explaining one decision: HOW it was reached, WHY each question is asked, WHY NOT another outcome.

MYCIN answered "how was this concluded?" with the rules that fired and "why do you ask?" with
the rule being tried; CLIPS' ``(matches rule)`` shows which patterns of a rule failed. This
module gives the same three views of a triage decision, as plain data (``explain_case``) that
``render_text`` turns into words, so that the text and the JSON never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .cases import Case
from .conditions import Condition
from .engine import Evaluation
from .knowledge import KRule, RuleBase
from .printable import printable
from .result import build_result
from .service import Triage

HOLDS, FAILS, UNSURE = "holds", "fails", "unsure"


def show_value(value: Any) -> str:
    """An answer as a person reads it: lists joined, a missing answer said so."""
    if value is None:
        return "(not answered)"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def jsonable(value: Any) -> Any:
    """Canonical answers hold tuples for multi questions; JSON wants lists."""
    return list(value) if isinstance(value, tuple) else value


def conclusion_words(rule: KRule, rb: RuleBase) -> str:
    """What a rule concludes, in words: its outcome, finding or caution."""
    parts = []
    if rule.disposition is not None:
        label = rb.outcome(rule.disposition, rule.timeframe).label
        when = f", {rule.timeframe}" if rule.timeframe else ""
        parts.append(f"{rule.disposition}{when} ({label})")
    if rule.finding:
        parts.append(f"finding '{rule.finding}'")
    if rule.caution:
        parts.append("a caution")
    if rule.routine:
        parts.append(f"the {rule.routine} routine")
    if rule.adjust:
        parts.append(f"the {rule.adjust} plan adjustment")
    return "; ".join(parts) or "nothing"


def condition_status(c: Condition, rule: KRule, ev: Evaluation, rb: RuleBase) -> tuple[str, Any]:
    """Whether a condition of ``rule`` holds for an evaluation, and the fact it was judged on.

    ``unsure`` means it holds only by reading an ``unsure`` answer as yes, which a softened
    tier does (the rule then fires as a trigger that a resolution rule softens).
    """
    if c.kind == "answer":
        value = ev.answers.get(c.question or "")
        if c.holds(value):
            return HOLDS, value
        softened = rule.tier in rb.softened_tiers and c.test in ("is", "in") and "yes" in c.values
        return (UNSURE if softened and value == "unsure" else FAILS), value
    if c.kind == "derived":
        value = rb.derived[c.name].value(ev.answers, rb.derived)
        return (HOLDS if c.holds(value) else FAILS), value
    findings = {f.rule.finding for f in ev.firings if f.rule.finding}
    if c.kind == "finding":
        return (HOLDS if c.name in findings else FAILS), sorted(findings)
    if c.kind == "no_finding":
        return (FAILS if c.name in findings else HOLDS), sorted(findings)
    if c.kind == "trigger_tier":
        triggers = [
            f.rule.id for f in ev.firings if f.unsure and f.rule.tier == c.name and not f.softens
        ]
        return (HOLDS if triggers else FAILS), triggers
    others = [v.rule for v in ev.verdicts if v.rule != rule.id and v.via != rule.id]
    return (FAILS if others else HOLDS), others


def status_words(c: Condition, status: str, actual: Any, rb: RuleBase) -> str:
    """One condition with its verdict and the actual answer or fact, for a reviewer."""
    text = c.words(rb.questions)
    if c.kind == "answer":
        fact = f"answer: {show_value(actual)}"
    elif c.kind == "derived":
        fact = "value: " + (
            "unknown (an answer it is made of is missing)" if actual is None else show_value(actual)
        )
    elif c.kind in ("finding", "no_finding"):
        fact = "findings concluded: " + (", ".join(actual) or "none")
    elif c.kind == "trigger_tier":
        fact = "unsure triggers: " + (", ".join(actual) or "none")
    else:
        fact = "dispositions concluded by: " + (", ".join(actual) or "no rule")
    note = " (only as 'unsure', which this tier softens)" if status == UNSURE else ""
    return f"{text}: {status}{note}; {fact}"


@dataclass
class Step:
    """One question the interview asks, the rules that need it, and the answer the case gives."""

    question: str
    needed_by: list[str]
    answer: Any
    answered: bool
    ev: Evaluation  # the evaluation just before this question was asked


def replay_interview(triage: Triage, answers: dict[str, Any]) -> list[Step]:
    """Replay the next-question protocol, answering from ``answers``.

    A question the case leaves unanswered is recorded and passed over, as the interview would
    have asked it but the case cannot say; the replay then goes on with the next one.
    """
    given: dict[str, Any] = {}
    skipped: set[str] = set()
    steps: list[Step] = []
    while True:
        ev = triage.evaluate(given)
        screen = ev.questions_after(skipped)
        if not screen:
            return steps
        for q in screen:
            answered = q.id in answers
            steps.append(Step(q.id, list(ev.needs[q.id]), answers.get(q.id), answered, ev))
            if answered:
                given[q.id] = answers[q.id]
            else:
                skipped.add(q.id)


def why_detail(ev: Evaluation, question: str, rule_id: str, rb: RuleBase) -> dict[str, Any]:
    """MYCIN's WHY for one question: the rule being tried, what is known, what the answer settles.

    Shared by `triage explain` and the interview's `why` command.
    """
    rule = rb.rule(rule_id)
    known, open_, settles = [], [], ""
    for c in rule.conditions:
        if c.kind == "answer" and c.question == question:
            settles = c.words(rb.questions)
            continue
        reads = rb.derived[c.name].reads if c.kind == "derived" else ()
        if question in reads and not settles:  # read through a derived value: say which
            settles = f"{c.words(rb.questions)} ({rb.derived[c.name].title})"
            continue
        status, actual = condition_status(c, rule, ev, rb)
        if (c.kind == "answer" and c.question not in ev.answers) or (
            c.kind == "derived" and actual is None
        ):
            open_.append(c.words(rb.questions))
        elif status != FAILS:
            known.append(status_words(c, status, actual, rb))
    return {
        "rule": rule.id,
        "title": rule.title,
        "established": known,
        "settles": settles,
        "still_open": open_,
        "would_conclude": conclusion_words(rule, rb),
    }


def why_not(ev: Evaluation, rb: RuleBase, target: str) -> dict[str, Any]:
    """CLIPS-style matches: every rule that would conclude ``target`` and why it did not decide.

    ``target`` is a disposition, optionally with a timeframe (``doctor:same_day``).
    """
    disposition, _, timeframe = target.partition(":")
    outcome = ev.outcome
    candidates = [
        r
        for r in rb.rules
        if r.disposition == disposition and (not timeframe or r.timeframe == timeframe)
    ]
    fired = {f.rule.id: f for f in ev.firings}
    winners = [
        v.rule + (f" (softened by {v.via})" if v.via else "")
        for v in ev.verdicts
        if v.outcome == outcome
    ]
    rules = []
    for r in candidates:
        conditions = []
        for c in r.conditions:
            status, actual = condition_status(c, r, ev, rb)
            conditions.append(
                {
                    "condition": c.words(rb.questions),
                    "status": status,
                    "question": c.question,
                    "actual": jsonable(actual),
                    "text": status_words(c, status, actual, rb),
                }
            )
        f = fired.get(r.id)
        if f is not None and f.unsure and r.disposition is not None and not f.softens:
            soft = next((v for v in ev.verdicts if v.rule == r.id and v.via), None)
            state = "softened"
            summary = f"held only because of unsure answers ({', '.join(f.unsure)})"
            if soft is not None:
                summary += f", so {soft.via} softened it to {_outcome_words(soft.outcome)}"
        elif f is not None:
            state = "fired"
            summary = f"fired and concluded {_outcome_words(rb.rule_outcome(r))}"
            if rb.rule_outcome(r).rank < outcome.rank:
                more = _outcome_words(outcome)
                summary += f", but {', '.join(winners)} concluded the more urgent {more}"
        else:
            state = "failed"
            failed = [c for c in conditions if c["status"] != HOLDS]
            summary = f"did not fire: {len(failed)} of {len(conditions)} condition(s) not met"
        rules.append(
            {
                "rule": r.id,
                "title": r.title,
                "tier": r.tier,
                "concludes": conclusion_words(r, rb),
                "state": state,
                "summary": summary,
                "conditions": conditions,
            }
        )
    is_outcome = outcome.disposition == disposition and (
        not timeframe or outcome.timeframe == timeframe
    )
    return {"target": target, "is_the_outcome": is_outcome, "rules": rules}


def _outcome_words(o: Any) -> str:
    return o.disposition + (f" ({o.timeframe})" if o.timeframe else "")


def explain_case(triage: Triage, case: Case, why_not_target: str | None = None) -> dict[str, Any]:
    """Everything needed to account for one decision, as JSON-ready data."""
    rb = triage.rulebase
    ev = triage.evaluate(case.answers)
    result = build_result(ev, rb, case_id=case.id, source=case.source, note=case.note)
    steps = replay_interview(triage, case.answers)
    asked = []
    for n, s in enumerate(steps, 1):
        q = rb.questions[s.question]
        asked.append(
            {
                "seq": n,
                "question": q.id,
                "prompt": q.prompt,
                "why": q.why,
                "needed_by": s.needed_by,
                "detail": why_detail(s.ev, s.question, s.needed_by[0], rb),
                "answered": s.answered,
                "answer": jsonable(s.answer),
            }
        )
    asked_ids = {s.question for s in steps}
    fired = []
    for entry, f in zip(result["trail"], ev.firings, strict=True):
        fired.append(
            {
                "seq": entry["seq"],
                "rule": f.rule.id,
                "title": f.rule.title,
                "tier": f.rule.tier,
                "sources": [
                    {"id": s, "citation": rb.sources[s]["citation"]} for s in f.rule.sources
                ],
                "matched": {k: jsonable(v) for k, v in f.matched.items()},
                "unsure": list(f.unsure),
                "concluded": f.concluded,
                "softens": f.softens,
            }
        )
    out: dict[str, Any] = {
        "id": case.id,
        "source": case.source,
        "disposition": result["disposition"],
        "timeframe": result["timeframe"],
        "label": result["label"],
        "complete": result["complete"],
        "unanswered": result["unanswered"],
        "reasons": [{"rule": r["rule"], "text": r["text"]} for r in result["reasons"]],
        "fired": fired,
        "asked": asked,
        "not_asked": [q for q in case.answers if q not in asked_ids],
        "rulebase": rb.identity(),
    }
    if why_not_target is not None:
        out["why_not"] = why_not(ev, rb, why_not_target)
    return out


def concluded_words(concluded: dict[str, Any]) -> str:
    """What one firing concluded (an engine ``Firing.concluded``), in words."""
    parts = []
    if concluded.get("disposition"):
        tf = concluded.get("timeframe")
        parts.append(f"disposition {concluded['disposition']}" + (f" ({tf})" if tf else ""))
    if concluded.get("trigger"):
        parts.append(f"a softened trigger: {concluded['trigger']}")
    if concluded.get("finding"):
        parts.append(f"finding '{concluded['finding']}'")
    if concluded.get("caution"):
        parts.append(f"caution: {concluded['caution']}")
    if concluded.get("routine"):
        parts.append(f"the {concluded['routine']} routine")
    if concluded.get("adjust"):
        parts.append(f"the {concluded['adjust']} plan adjustment")
    return "; ".join(parts) or "nothing"


def render_text(x: dict[str, Any]) -> str:
    """The explanation as a reviewer reads it."""
    lines = [f"Case {printable(x['id'])} ({printable(x['source'])})"]
    when = f", {x['timeframe']}" if x["timeframe"] else ""
    lines.append(f"Disposition: {x['disposition']}{when}: {x['label']}")
    rbid = x["rulebase"]
    lines.append(f"Rule base: {rbid['name']} {rbid['version']} (sha256 {rbid['sha256'][:12]})")
    if not x["complete"]:
        lines.append("Incomplete: the interview would still ask " + ", ".join(x["unanswered"]))
    lines += ["", "HOW: the rules that fired, in order"]
    for f in x["fired"]:
        lines.append(f"  {f['seq']}. {f['rule']} [{f['tier']}]: {f['title']}")
        for s in f["sources"]:
            lines.append(f"     source: {s['id']}: {s['citation']}")
        if f["matched"]:
            matched = ", ".join(f"{q} = {show_value(v)}" for q, v in f["matched"].items())
            lines.append(f"     matched: {matched}")
        if f["unsure"]:
            lines.append(f"     unsure answers read as yes: {', '.join(f['unsure'])}")
        if f["softens"]:
            lines.append(f"     softens: {f['softens']}")
        lines.append(f"     concluded: {concluded_words(f['concluded'])}")
    lines += ["", "WHY: the questions the interview asks, in order, and why"]
    if not x["asked"]:
        lines.append("  (none)")
    for a in x["asked"]:
        answer = show_value(a["answer"]) if a["answered"] else "(the case does not answer it)"
        lines.append(f"  {a['seq']}. {a['question']}: {a['prompt']}  -> {answer}")
        lines.append(f"     why: {a['why']}")
        d = a["detail"]
        lines.append(f"     rule being tried: {d['rule']} ({d['title']})")
        for e in d["established"]:
            lines.append(f"       already known: {e}")
        if d["settles"]:
            lines.append(f"       this answer settles: {d['settles']}")
        for o in d["still_open"]:
            lines.append(f"       still to settle: {o}")
        lines.append(f"       if it holds, concludes: {d['would_conclude']}")
        if len(a["needed_by"]) > 1:
            lines.append(f"     also needed by: {', '.join(a['needed_by'][1:])}")
    if x["not_asked"]:
        lines += [
            "",
            "Answered in the case but not needed by the interview: " + ", ".join(x["not_asked"]),
        ]
    wn = x.get("why_not")
    if wn is not None:
        lines += ["", f"WHY NOT {wn['target']}:"]
        if wn["is_the_outcome"]:
            lines.append(f"  {wn['target']} is the outcome of this case.")
        if not wn["rules"]:
            lines.append("  no rule concludes it")
        for r in wn["rules"]:
            lines.append(f"  {r['rule']} ({r['title']}): {r['state']}")
            lines.append(f"     {r['summary']}")
            if r["state"] == "failed":
                for c in r["conditions"]:
                    lines.append(f"     - {c['text']}")
    return "\n".join(map(printable, lines)) + "\n"
