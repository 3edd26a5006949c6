"""A result record as text for a person at a terminal: the decision first, then why and what."""

from __future__ import annotations

import textwrap
from typing import Any

import click

COLOURS = {
    "emergency": "red",
    "doctor": "yellow",
    "physical_therapist": "cyan",
    "tool_use": "green",
    "self_stretching": "green",
}
WIDTH = 78


def render_result(record: dict[str, Any], explain: bool = False) -> str:
    """The whole result as text; ANSI styles are added and later stripped by click when off."""
    out: list[str] = []
    colour = COLOURS.get(record["disposition"], "white")
    out.append(click.style(f" {record['label'].upper()} ", fg="white", bg=colour, bold=True))
    out.append("")
    out.append(click.style("Why", bold=True))
    main = [r for r in record["reasons"] if r["disposition"] == record["disposition"]]
    other = [r for r in record["reasons"] if r["disposition"] != record["disposition"]]
    out += [_bullet(r["text"]) for r in main]
    if record.get("unsure"):
        out.append(_bullet("You answered 'unsure' to: " + ", ".join(record["unsure"]) + "."))
    if other:
        out.append(click.style("Also noted (for after the above is dealt with)", bold=True))
        out += [_bullet(r["title"]) for r in other]
    out.append("")
    out.append(click.style("What to do", bold=True))
    out += _plan(record["plan"])
    if record["cautions"]:
        out.append("")
        out.append(click.style("Cautions", bold=True))
        out += [_bullet(c["text"]) for c in record["cautions"]]
    out.append("")
    out.append(click.style("Safety net", bold=True))
    out += [_bullet(t) for t in record["safety_net"]]
    if record.get("unanswered"):
        out.append("")
        out.append(_wrap("Not answered: " + ", ".join(record["unanswered"]) + "."))
    out.append("")
    out.append(_wrap(record["disclaimer"]))
    if explain:
        out.append("")
        out += render_trail(record)
    rb = record["rulebase"]
    out.append("")
    out.append(
        f"Rule base {rb['name']} {rb['version']} (sha256 {rb['sha256'][:12]}), "
        f"triage {record['triage_version']}"
    )
    return "\n".join(out)


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


def _plan(plan: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if "emergency" in plan:
        for key in ("now", "meanwhile"):
            if plan["emergency"].get(key):
                out.append(_bullet(plan["emergency"][key]["text"]))
    if "doctor" in plan:
        doctor = plan["doctor"]
        for key in ("when", "tell_them"):
            if doctor.get(key):
                out.append(_bullet(doctor[key]["text"]))
        if doctor.get("findings"):
            out.append(_bullet("Mention: " + "; ".join(doctor["findings"]) + "."))
    if "physical_therapist" in plan:
        pt = plan["physical_therapist"]
        out.append("  How to find a physical therapist:")
        out += [_bullet(i["text"], 4) for i in pt.get("find", [])]
        out += [_bullet("Ask about: " + i["text"], 4) for i in pt.get("ask_about", [])]
        out.append("  Meanwhile:")
        out += [_bullet(i["text"], 4) for i in pt.get("meanwhile", [])]
    if "tools" in plan:
        out += _tools(plan["tools"])
    if "tools_avoided" in plan:
        out.append(_bullet(plan["tools_avoided"]["text"]))
    for routine in plan.get("routines", {}).values():
        out.append(f"  {routine['title']}:")
        for ex in routine["exercises"]:
            reps = ex["repetitions"]
            dose = f"hold {ex['hold_seconds']} s, {reps} time{'s' if reps != 1 else ''}"
            out.append(_bullet(f"{ex['name']} ({dose}): {ex['how']}", 4))
    return out


def _tools(tools: dict[str, Any]) -> list[str]:
    out = [_bullet(tools["summary"]["text"])]
    for opt in tools.get("options", []):
        head = f"{opt['name']}" + (f", for {opt['use_for']}" if opt.get("use_for") else "")
        if not opt.get("recommended", True):
            head += f" ({opt.get('note', 'not recommended')})"
        out.append(_bullet(head + (f": {opt['how']}" if opt.get("how") else ""), 4))
        if opt.get("pros"):
            out.append(_wrap("pros: " + "; ".join(opt["pros"]), 8))
        if opt.get("cons"):
            out.append(_wrap("cons: " + "; ".join(opt["cons"]), 8))
    for key in ("placement", "evidence"):
        if tools.get(key):
            out.append(_bullet(tools[key]["text"]))
    return out


def _value(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(v) + "]"
    return "(not answered)" if v is None else str(v)


def _bullet(text: str, indent: int = 2) -> str:
    return textwrap.fill(
        text, WIDTH, initial_indent=" " * indent + "- ", subsequent_indent=" " * (indent + 2)
    )


def _wrap(text: str, indent: int = 0) -> str:
    return textwrap.fill(text, WIDTH, initial_indent=" " * indent, subsequent_indent=" " * indent)
