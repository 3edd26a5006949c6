"""The interview, independent of any terminal or web page: screens answered, back, and WHY.

The engine chooses each screen (``Evaluation.screen``); this module keeps the answers screen
by screen, so that ``back`` can undo the last screen, show its earlier answers, and
re-evaluate. Every front end (the terminal, the web page, the HTTP API) drives the same
protocol, so they all ask the same questions in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .engine import Evaluation, Screen
from .knowledge import RuleBase
from .questions import Question
from .service import Triage
from .typed import label

COMMANDS = {
    "?": "why",
    "why": "why",
    "back": "back",
    "go back": "back",
    "previous": "back",
    "quit": "quit",
    "exit": "quit",
    "stop": "quit",
}


@dataclass
class Interview:
    """Answers given so far, screen by screen, with the rule that needed each question."""

    triage: Triage
    answers: dict[str, Any] = field(default_factory=dict)
    screens: list[dict[str, Any]] = field(default_factory=list)  # each screen's answers
    asked: list[dict[str, str]] = field(default_factory=list)
    undone: dict[str, Any] = field(default_factory=dict)  # answers taken back, to show again

    def evaluate(self) -> Evaluation:
        """Re-run the rules over the answers so far."""
        return self.triage.evaluate(self.answers)

    def give(self, ev: Evaluation, values: dict[str, Any]) -> None:
        """Record the answers (already parsed) to the screen the engine asked."""
        self.screens.append(dict(values))
        for qid, value in values.items():
            self.answers[qid] = value
            self.undone.pop(qid, None)
            self.asked.append({"question": qid, "needed_by": ev.needs[qid][0]})

    def back(self) -> dict[str, Any] | None:
        """Undo the last screen answered in this interview; its answers, or None."""
        if not self.screens:
            return None
        last = self.screens.pop()
        for qid in last:
            self.answers.pop(qid, None)
        self.asked = [a for a in self.asked if a["question"] not in last]
        self.undone.update(last)
        return last


def command_of(text: str) -> str | None:
    """The interview command typed, if the text is one (``?``, ``why``, ``back``, ``quit``)."""
    return COMMANDS.get(" ".join(text.lower().split()))


def shown(question: Question, value: Any) -> str:
    """An answer in the words the person saw."""
    if value is None:
        return "not answered"
    if question.type == "yesno":
        return {"yes": "yes", "no": "no", "unsure": "not sure"}[value]
    if question.type == "choice":
        return label(question, value)
    if question.type == "multi":
        return ", ".join(label(question, v) for v in value) or "none of these"
    return f"{value:g} {question.unit}".strip() if question.unit else f"{value:g}"


def why(ev: Evaluation, question: Question, rb: RuleBase) -> list[str]:
    """MYCIN's WHY in a patient's words: why this is asked and what it could lead to (the
    rules and their sources are for a reviewer, in `triage explain`)."""
    lines = [f"Why we ask: {question.why}"]
    rules = [rb.rule(r) for r in ev.needs.get(question.id, [])]
    outcomes = [rb.outcome(r.disposition, r.timeframe) for r in rules if r.disposition]
    if outcomes:
        top = max(outcomes, key=lambda o: o.rank)
        when = "If the answer is yes" if question.type == "yesno" else "Depending on the answer"
        lines.append(f"{when}, the advice could be: {top.label}.")
    return lines


def screen_title(screen: Screen) -> str:
    """What a screen asks: its group's title, or its one question."""
    if screen.group is not None and len(screen.questions) > 1:
        return screen.group.title
    return screen.questions[0].prompt


def screen_help(screen: Screen) -> str:
    """The one line of help under a screen's title."""
    if screen.group is not None and len(screen.questions) > 1:
        return screen.group.help
    return screen.questions[0].help
