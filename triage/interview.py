"""The interview, independent of any terminal: state, typed-answer parsing, WHY, and back.

The engine chooses each question (``Evaluation.next_question``); this module only keeps the
answers in the order given, so that ``back`` can undo the last one and re-evaluate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .engine import Evaluation
from .errors import AnswerError
from .explain import why_detail
from .knowledge import KRule, RuleBase
from .questions import Question
from .service import Triage

COMMANDS = {"?": "why", "why": "why", "back": "back", "quit": "quit", "exit": "quit"}
YES = {"y", "yes"}
NO = {"n", "no"}
UNSURE = {"u", "unsure", "not sure", "dont know", "don't know", "dk"}
NONE = {"none", "nothing", "0", "-"}


class InputError(ValueError):
    """A typed answer that does not fit the question; the message says what would."""


@dataclass
class Interview:
    """Answers given so far, in order, with the rule that needed each question."""

    triage: Triage
    answers: dict[str, Any] = field(default_factory=dict)
    asked: list[dict[str, str]] = field(default_factory=list)

    def evaluate(self) -> Evaluation:
        """Re-run the rules over the answers so far."""
        return self.triage.evaluate(self.answers)

    def give(self, question: Question, value: Any, needed_by: str) -> None:
        """Record an answer (already parsed) to the question the engine asked."""
        self.answers[question.id] = value
        self.asked.append({"question": question.id, "needed_by": needed_by})

    def back(self) -> str | None:
        """Undo the last answer given in this interview; the id of that question, or None."""
        if not self.asked:
            return None
        last = self.asked.pop()["question"]
        self.answers.pop(last, None)
        return last


def command_of(text: str) -> str | None:
    """The interview command typed, if the text is one (``?``, ``why``, ``back``, ``quit``)."""
    return COMMANDS.get(text.strip().lower())


def parse_typed(question: Question, text: str) -> Any:
    """Turn what a person typed into a canonical answer, or raise InputError saying why not."""
    raw = text.strip()
    if not raw:
        raise InputError("please type an answer")
    low = raw.lower()
    try:
        if question.type == "yesno":
            if low in YES:
                return "yes"
            if low in NO:
                return "no"
            if low in UNSURE:
                return "unsure"
            raise InputError("answer y (yes), n (no) or u (unsure)")
        if question.type in ("integer", "number"):
            return question.parse(_number(raw, question))
        if question.type == "choice":
            picked = _pick(question, [raw])
            if len(picked) != 1:
                raise InputError("choose one")
            return question.parse(picked[0])
        if low in NONE:
            return ()
        return question.parse(_pick(question, [p for p in re.split(r"[,\s]+", raw) if p]))
    except AnswerError as exc:
        raise InputError(exc.message) from None


def _number(raw: str, question: Question) -> int | float:
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise InputError(f"type {question.describe_allowed()}") from None
    return int(value) if value.is_integer() else value


def _pick(question: Question, parts: list[str]) -> list[str]:
    """Values chosen by number (1-based) or by name or label."""
    out = []
    for part in parts:
        low = part.lower()
        if low.isdigit() and 1 <= int(low) <= len(question.values):
            out.append(question.values[int(low) - 1])
            continue
        names = {
            v: (v.lower(), v.replace("_", " ").lower(), question.labels.get(v, "").lower())
            for v in question.values
        }
        match = [v for v, keys in names.items() if low in keys]
        if not match:  # a unique beginning of a name or label is enough ("lower" for lower_back)
            match = [v for v, keys in names.items() if any(k.startswith(low) for k in keys)]
        if len(match) != 1:
            options = ", ".join(f"{i} {v}" for i, v in enumerate(question.values, 1))
            raise InputError(f"{part!r} is not one of the choices: {options}")
        out.append(match[0])
    return list(dict.fromkeys(out))


def why(ev: Evaluation, question: Question, triage: Triage) -> list[str]:
    """MYCIN's WHY: the goal being pursued and the rules waiting on this answer."""
    rb = triage.rulebase
    lines = [f"Why this question: {question.why}"]
    for rid in ev.needs.get(question.id, [])[:3]:
        detail = why_detail(ev, question.id, rid, rb)
        rule = rb.rule(rid)
        lines.append(f"Rule {rule.id}: {rule.title}.")
        if detail["established"]:
            lines.append("  Already known: " + "; ".join(detail["established"]) + ".")
        lines.append(f"  This answer settles: {detail['settles']}.")
        if detail["still_open"]:
            lines.append("  Still to settle: " + "; ".join(detail["still_open"]) + ".")
        lines.append("  If it holds, it would conclude: " + _conclusion(rule, rb) + ".")
        lines.append(
            "  Source: " + "; ".join(rb.sources[s]["citation"] for s in rule.sources) + "."
        )
    return lines


def _conclusion(rule: KRule, rb: RuleBase) -> str:
    """The conclusion as a person reads it: the outcome's label, or the caution itself."""
    if rule.disposition:
        return rb.outcome(rule.disposition, rule.timeframe).label
    return f"a caution ({rule.caution})" if rule.caution else f"the finding {rule.finding}"
