"""Record fields as a person reads them on a page: phone numbers to tap, reasons in plain
words, and the clinicians' view without raw codes ("tool_use", "None")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from ..knowledge import RuleBase
from ..plans import Region
from .screens import answer_words

# A phone number in a region's words: 3 or more digits, perhaps in groups ("116 123"); not
# part of a longer number, a word or a web address ("111.nhs.uk").
_NUMBER = re.compile(r"(?<![\w.])\d{2,4}(?: \d{2,4})*(?![\w]|\.\w)")


def phone_numbers(region: Region) -> list[str]:
    """The phone numbers a region's words give (emergency, urgent help), longest first."""
    found = {m.group(0) for text in region.words.values() for m in _NUMBER.finditer(text)}
    return sorted((n for n in found if len(n.replace(" ", "")) >= 3), key=lambda n: -len(n))


def dial(text: Any, numbers: list[str]) -> Markup:
    """``text``, escaped, with each of ``numbers`` a ``tel:`` link to tap on a phone."""
    html = str(escape(text))
    if not numbers:
        return Markup(html)
    pattern = re.compile(
        r"(?<![\w.])(" + "|".join(re.escape(n) for n in numbers) + r")(?![\w]|\.\w)"
    )
    return Markup(
        pattern.sub(
            lambda m: f'<a class="tel" href="tel:{m.group(1).replace(" ", "")}">{m.group(1)}</a>',
            html,
        )
    )


def reason_words(rb: RuleBase, reason: Mapping[str, Any]) -> str:
    """A reason as the person reads it. One softened by a "not sure" answer says what the
    person could not rule out, in the words they were asked, not the sign's clinical name."""
    via = reason.get("softened_by")
    if not via:
        return str(reason["text"])
    rules = {r.id: r for r in rb.rules}
    text = rules[via].reason if via in rules else str(reason["text"]).split(" (The sign:")[0]
    asked = _unsure_items(rb, reason)
    if asked:
        text += f" The sign you were not sure about: {asked}."
    return text


def _unsure_items(rb: RuleBase, reason: Mapping[str, Any]) -> str:
    """The questions a softened reason's person answered "not sure", as they were asked."""
    unsure = [rb.questions[q] for q in reason.get("unsure") or () if q in rb.questions]
    return "; ".join(f'"{q.item or q.prompt}"' for q in unsure)


def findings_words(rb: RuleBase, record: Mapping[str, Any]) -> list[str]:
    """What to mention to the doctor: each sign found, but a sign only answered "not sure"
    as that, in the words asked (not named as if it were there)."""
    plan = record.get("plan") or {}
    findings = list((plan.get("doctor") or {}).get("findings") or [])
    softened = {
        r["title"]: _unsure_items(rb, r) for r in record.get("reasons", ()) if r.get("softened_by")
    }
    return [f"you were not sure about {softened[f]}" if softened.get(f) else f for f in findings]


def words(code: Any) -> str:
    """An internal code as words: "physical_therapist" -> "physical therapist"."""
    return str(code).replace("_", " ")


def concluded_words(rb: RuleBase, concluded: Mapping[str, Any]) -> str:
    """What a rule concluded, in words (an outcome by its label; nothing said of an empty
    timeframe)."""
    parts: list[str] = []
    if concluded.get("disposition"):
        try:
            parts.append(rb.outcome(concluded["disposition"], concluded.get("timeframe")).label)
        except KeyError:
            parts.append(words(concluded["disposition"]))
    for key, value in concluded.items():
        if key in ("disposition", "timeframe") or value in (None, ""):
            continue
        if key == "trigger":
            tier = str(value).split(" (", 1)[0]
            unsure = ", answered not sure" if "unsure" in str(value) else ""
            parts.append(f"a sign for {words(tier)}{unsure}")
        elif key == "routine" and value in rb.plans.routines:
            parts.append(f"adds {rb.plans.routines[value].title}")
        elif key == "caution":
            parts.append("a caution")
        elif key == "finding":
            parts.append(f"a finding ({words(value)})")
        else:
            parts.append(f"{words(key)}: {words(value)}")
    return "; ".join(parts)


def matched_words(rb: RuleBase, matched: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The answers a rule matched: (the question as asked, the answer in words)."""
    out = []
    for qid, value in matched.items():
        q = rb.questions.get(qid)
        if q is None:
            out.append((words(qid), words(value)))
            continue
        shown = tuple(value) if isinstance(value, list) else value
        out.append((q.item or q.prompt, answer_words(q, shown)))
    return out
