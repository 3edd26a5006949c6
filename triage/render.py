"""A result record as text for a person at a terminal: the decision first, then why and what.

The first lines are a summary that fits one 80x24 screen: the decision, the main reason and
the next step. The rest follows: all the reasons (with short sources a person can read), the
plan, the cautions and safety net that fit this outcome, and the disclaimer. Rule ids and full
citations are only in the audit trail (``--explain``), which is for reviewers.
"""

from __future__ import annotations

import textwrap
from typing import Any

import click

from .knowledge import RuleBase
from .words import dose, next_step

COLOURS = {
    "emergency": "red",
    "doctor": "yellow",
    "physical_therapist": "cyan",
    "tool_use": "green",
    "self_stretching": "green",
}
WIDTH = 78


class _Text:
    """Lines wrapped to one width."""

    def __init__(self, width: int):
        self.width = max(40, width)
        self.lines: list[str] = []

    def add(self, line: str = "") -> None:
        self.lines.append(line)

    def head(self, title: str) -> None:
        self.lines += ["", click.style(title, bold=True)]

    def para(self, text: str, indent: int = 0, lead: str = "") -> None:
        """A paragraph; ``lead`` (such as "Why: ") in bold before it."""
        wrapped = textwrap.fill(
            lead + text, self.width, initial_indent=" " * indent, subsequent_indent=" " * indent
        )
        if lead:
            start = wrapped.index(lead)
            wrapped = wrapped[:start] + click.style(lead, bold=True) + wrapped[start + len(lead) :]
        self.lines.append(wrapped)

    def bullet(self, text: str, indent: int = 2) -> None:
        self.lines.append(
            textwrap.fill(
                text,
                self.width,
                initial_indent=" " * indent + "- ",
                subsequent_indent=" " * (indent + 2),
            )
        )


def _asked_as(rb: RuleBase | None, qid: str) -> str:
    """A question as the person saw it (its checklist line, or its prompt)."""
    q = rb.questions.get(qid) if rb is not None else None
    if q is None:
        return qid
    text = (q.item or q.prompt).rstrip("?")
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def render_result(
    record: dict[str, Any],
    rb: RuleBase | None = None,
    *,
    explain: bool = False,
    width: int = WIDTH,
) -> str:
    """The whole result as text; ANSI styles are added, and stripped by click when off."""
    return (
        render_summary(record, width=width)
        + "\n"
        + render_details(record, rb, explain=explain, width=width)
    )


def _main(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r for r in record["reasons"] if r.get("main", r["disposition"] == record["disposition"])
    ]


def render_summary(record: dict[str, Any], *, width: int = WIDTH, why: bool = True) -> str:
    """The decision, the main reason (unless not ``why``) and the next step: a few lines, for
    one screen."""
    out = _Text(width)
    colour = COLOURS.get(record["disposition"], "white")
    for line in textwrap.wrap(record["label"].upper(), out.width - 2):  # whole words
        out.add(click.style(f" {line} ", fg="white", bg=colour, bold=True))
    main = _main(record)
    if main and why:
        out.add("")
        out.para(main[0]["text"], lead="Why: ")
    out.add("")
    out.para(next_step(record["plan"]), lead="What to do now: ")
    return "\n".join(out.lines)


def _with_sources(reason: dict[str, Any]) -> str:
    """A reason with its sources' short names: for a reviewer (``explain``), not a person."""
    names = reason.get("source_names") or []
    return reason["text"] + (f" (Source: {'; '.join(names)}.)" if names else "")


def render_details(
    record: dict[str, Any],
    rb: RuleBase | None = None,
    *,
    explain: bool = False,
    width: int = WIDTH,
) -> str:
    """Everything after the summary: reasons, plan, cautions, safety net, disclaimer."""
    out = _Text(width)
    reasons = record["reasons"]
    main = _main(record)
    if len(main) > 1 or record.get("unsure"):
        out.head("More about why")
        for r in main[1:]:
            out.bullet(_with_sources(r) if explain else r["text"])
        if record.get("unsure"):
            unsure = "; ".join(_asked_as(rb, q) for q in record["unsure"])
            out.bullet(f"You were not sure about: {unsure}.")
    other = [r for r in reasons if r.get("noted", True) and r not in main]
    if other:
        out.head("Also noted (for after the above is dealt with)")
        for r in other:
            out.bullet(r["title"])

    out.head("What to do")
    _plan(out, record["plan"], skip=next_step(record["plan"]))
    if record["cautions"]:
        out.head("Cautions")
        for c in record["cautions"]:
            out.bullet(c["text"])
    if record["safety_net"]:
        out.head("Watch for these, and get help sooner if they happen")
        for t in record["safety_net"]:
            out.bullet(t)
    if record.get("unanswered"):
        out.add("")
        missing = "; ".join(_asked_as(rb, q) for q in record["unanswered"])
        out.para(f"Not answered (read as not present): {missing}.")
    out.add("")
    out.para(record["disclaimer"])
    if explain:
        out.add("")
        out.lines += render_trail(record)
    ident = record["rulebase"]
    out.add("")
    out.para(
        f"Rule base {ident['name']} {ident['version']} (sha256 {ident['sha256'][:12]}), "
        f"triage {record['triage_version']}"
    )
    return "\n".join(out.lines)


def render_trail(record: dict[str, Any]) -> list[str]:
    """HOW: each rule that fired, in order; each question asked, with the rule needing it."""
    out = [click.style("How this was decided", bold=True)]
    for step in record["trail"]:
        matched = ", ".join(f"{q} = {_value(v)}" for q, v in step["matched"].items())
        out.append(f"  {step['seq']}. {step['rule']} [{step['tier']}]: {step['title']}")
        if matched:
            out.append(f"     matched: {matched}")
        concluded = step["concluded"]
        if concluded.get("disposition"):
            tf = f", {concluded['timeframe']}" if concluded.get("timeframe") else ""
            out.append(f"     concluded: {concluded['disposition']}{tf}")
        for key in ("trigger", "finding"):
            if concluded.get(key):
                out.append(f"     concluded {key}: {concluded[key]}")
        for src in step["source"]:
            out.append(f"     source: {src}")
    if record.get("asked"):
        out.append(click.style("Questions asked", bold=True))
        for i, item in enumerate(record["asked"], 1):
            out.append(f"  {i}. {item['question']} (needed by {item['needed_by']})")
    return out


def _plan(out: _Text, plan: dict[str, Any], skip: str = "") -> None:
    """The plan's items, but ``skip`` (the next step, already said in the summary)."""
    for item in plan.get("adjustments", []):  # what fits this person: before the rest
        out.bullet(item["text"])
    if "emergency" in plan:
        for key in ("now", "meanwhile"):
            if plan["emergency"][key]["text"] != skip:
                out.bullet(plan["emergency"][key]["text"])
    if "doctor" in plan:
        doctor = plan["doctor"]
        if doctor["when"]["text"] != skip:
            out.bullet(doctor["when"]["text"])
        out.bullet(doctor["tell_them"]["text"])
        for finding in doctor["findings"]:
            out.bullet(finding, 4)
    if "physical_therapist" in plan:
        pt = plan["physical_therapist"]
        out.add("  How to find a physical therapist:")
        # The ways to find one read as a whole ("Or ask your GP..."): all of them, even the
        # first, which the summary gave as the next step.
        for item in pt["find"] + pt["ask_about"]:
            out.bullet(item["text"], 4)
        out.add("  Meanwhile:")
        for item in pt["meanwhile"]:
            out.bullet(item["text"], 4)
    if "self_care" in plan and plan["self_care"]["text"] != skip:
        out.bullet(plan["self_care"]["text"])
    if "tools" in plan:
        _tools(out, plan["tools"], skip)
    if "tools_avoided" in plan:
        out.bullet(plan["tools_avoided"]["text"])
    for routine in plan.get("routines", {}).values():
        out.add(f"  {routine['title']}:")
        for ex in routine["exercises"]:
            out.bullet(f"{ex['name']} ({dose(ex)}): {ex['how']}", 4)
        if "none_fit" in routine:
            out.bullet(routine["none_fit"]["text"], 4)


def _tools(out: _Text, tools: dict[str, Any], skip: str) -> None:
    if tools["summary"]["text"] != skip:
        out.bullet(tools["summary"]["text"])
    out.add("  Which tool, and how:")
    for opt in tools["options"]:
        if not opt["recommended"]:
            why = f" ({'; '.join(opt['cons'])})" if opt["cons"] else ""
            out.bullet(f"{opt['name']}: {opt['note']}{why}.", 4)
            continue
        head = opt["name"] + (f", for {opt['use_for']}" if opt["use_for"] else "")
        out.bullet(head + (f": {opt['how']}" if opt["how"] else ""), 4)
        if opt["pros"]:
            out.para("Good: " + "; ".join(opt["pros"]) + ".", 8)
        if opt["cons"]:
            out.para("But: " + "; ".join(opt["cons"]) + ".", 8)
    for key in ("placement", "evidence"):
        out.bullet(tools[key]["text"])


def _value(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(v) + "]"
    return "(not answered)" if v is None else str(v)
