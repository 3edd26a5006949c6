"""The question catalogue: what each answer may be, and turning raw answers into valid ones."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .errors import AnswerError

YESNO_VALUES = ("yes", "no", "unsure")
TYPES = ("yesno", "integer", "number", "choice", "multi")


@dataclass(frozen=True)
class Question:
    """One question: its type and allowed values, and the words a person sees."""

    id: str
    type: str
    prompt: str
    why: str
    order: int
    group: str = ""
    help: str = ""
    values: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    min: float | None = None
    max: float | None = None
    unit: str = ""
    item: str = ""  # the question as one line of its group's checklist (default: the prompt)

    @property
    def choices(self) -> tuple[str, ...]:
        """The allowed values of a yes/no, choice or multi question."""
        return YESNO_VALUES if self.type == "yesno" else self.values

    def describe_allowed(self) -> str:
        """The allowed answers in words, for error messages and prompts."""
        if self.type in ("integer", "number"):
            kind = "a whole number" if self.type == "integer" else "a number"
            return f"{kind} from {_fmt(self.min)} to {_fmt(self.max)}"
        if self.type == "multi":
            return "a list of distinct values from: " + ", ".join(self.values)
        return "one of: " + ", ".join(self.choices)

    def parse(self, raw: Any) -> Any:
        """Validate one answer as read from a case file; return its canonical value.

        Canonical values: yes/no/unsure strings, int, float (int when whole), a choice
        string, or a tuple of distinct multi values in catalogue order.
        """
        if self.type == "yesno":
            if type(raw) is str and raw in YESNO_VALUES:  # the common case, already canonical
                return raw
            if isinstance(raw, bool):
                return "yes" if raw else "no"
            if isinstance(raw, str) and raw.strip().lower() in YESNO_VALUES:
                return raw.strip().lower()
            raise AnswerError(self.id, f"expected yes, no or unsure, got {_show(raw)}")
        if self.type in ("integer", "number"):
            return self._parse_number(raw)
        if self.type == "choice":
            if isinstance(raw, str) and raw in self.values:
                return raw
            raise AnswerError(self.id, f"expected {self.describe_allowed()}, got {_show(raw)}")
        return self._parse_multi(raw)

    def _parse_number(self, given: Any) -> int | float:
        if isinstance(given, bool) or not isinstance(given, int | float):
            raise AnswerError(self.id, f"expected {self.describe_allowed()}, got {_show(given)}")
        raw: int | float = given
        if isinstance(raw, float) and not math.isfinite(raw):
            raise AnswerError(self.id, f"expected a finite number, got {raw}")
        if self.type == "integer" and isinstance(raw, float):
            if not raw.is_integer():
                raise AnswerError(self.id, f"expected a whole number, got {raw}")
            raw = int(raw)
        if (self.min is not None and raw < self.min) or (self.max is not None and raw > self.max):
            raise AnswerError(self.id, f"{_show(raw)} is out of range: {self.describe_allowed()}")
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        return raw

    def _parse_multi(self, raw: Any) -> tuple[str, ...]:
        if not isinstance(raw, list | tuple):
            raise AnswerError(self.id, f"expected a list of values from: {', '.join(self.values)}")
        for item in raw:
            if not isinstance(item, str) or item not in self.values:
                raise AnswerError(
                    self.id, f"unknown value {_show(item)}; allowed: {', '.join(self.values)}"
                )
        if len(set(raw)) != len(raw):
            raise AnswerError(self.id, "values must be distinct")
        return tuple(v for v in self.values if v in raw)


@dataclass(frozen=True)
class Group:
    """Related yes/no questions asked on one screen ("Do you have any of these?")."""

    id: str
    title: str
    members: tuple[str, ...]
    help: str = ""


def _fmt(x: float | None) -> str:
    return "?" if x is None else (str(int(x)) if float(x).is_integer() else str(x))


def _show(raw: Any) -> str:
    try:
        text = repr(raw)
    except ValueError:  # an integer of thousands of digits (from hexadecimal, say)
        return "a number too long to show"
    return text if len(text) <= 40 else text[:37] + "..."
