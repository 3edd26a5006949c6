"""The condition grammar of rule files, kept small so that rules stay data and are never eval'd.

A condition is a mapping with exactly one subject and one test:

- on an answer: ``{question: ID, is: yes}``, ``{question: ID, in: [..]}``,
  ``{question: ID, not_in: [..]}`` (yes/no only; an unanswered question reads as ``no``),
  ``{question: ID, any_of: [..]}`` (multi), ``{question: ID, min/max/above/below: N}``
  (numbers; ``min``/``max`` inclusive, ``above``/``below`` exclusive, combinable);
- on derived facts: ``{finding: NAME}``, ``{no_finding: NAME}``, ``{trigger_tier: TIER}``
  (a trigger of that tier met only through ``unsure`` answers), ``{no_disposition: true}``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .questions import Question

NUMERIC_KEYS = ("min", "max", "above", "below")
ANSWER_TESTS = ("is", "in", "not_in", "any_of", *NUMERIC_KEYS)
FACT_TESTS = ("finding", "no_finding", "trigger_tier", "no_disposition")


class ConditionError(ValueError):
    """A condition does not fit the grammar; ``field`` names the offending key."""

    def __init__(self, field: str, message: str):
        self.field, self.message = field, message
        super().__init__(message)


@dataclass(frozen=True)
class Condition:
    """One parsed condition. ``kind`` is ``answer`` or one of ``FACT_TESTS``."""

    kind: str
    question: str | None = None
    test: str = ""  # is | in | not_in | any_of | range
    values: tuple[str, ...] = ()
    low: float | None = None
    low_inclusive: bool = True
    high: float | None = None
    high_inclusive: bool = True
    name: str = ""  # finding name or trigger tier

    def holds(self, value: Any) -> bool:
        """Whether an answer value (``None`` when unanswered) meets an answer condition."""
        if self.test == "not_in":
            return (value if value is not None else "no") not in self.values
        if value is None:
            return False
        if self.test in ("is", "in"):
            return value in self.values
        if self.test == "any_of":
            return any(v in self.values for v in value)
        if self.low is not None and (
            value < self.low or (value == self.low and not self.low_inclusive)
        ):
            return False
        return not (
            self.high is not None
            and (value > self.high or (value == self.high and not self.high_inclusive))
        )

    def words(self, questions: dict[str, Question] | None = None) -> str:
        """The condition in plain words, for explanations and rule listings."""
        if self.kind == "finding":
            return f"finding '{self.name}' has been concluded"
        if self.kind == "no_finding":
            return f"finding '{self.name}' has not been concluded"
        if self.kind == "trigger_tier":
            article = "an" if self.name[:1] in "aeiou" else "a"
            return f"{article} {self.name} trigger was met only because of 'unsure' answers"
        if self.kind == "no_disposition":
            return "no rule has concluded a disposition"
        q = self.question
        if self.test == "is":
            return f"{q} is {self.values[0]}"
        if self.test == "in":
            return f"{q} is one of {', '.join(self.values)}"
        if self.test == "not_in":
            return f"{q} is not {' or '.join(self.values)}"
        if self.test == "any_of":
            return f"{q} includes any of {', '.join(self.values)}"
        parts = []
        if self.low is not None:
            parts.append(f"{q} {'>=' if self.low_inclusive else '>'} {_num(self.low)}")
        if self.high is not None:
            parts.append(f"{q} {'<=' if self.high_inclusive else '<'} {_num(self.high)}")
        return " and ".join(parts)


def _first(keys: set[Any]) -> str:
    """The first of some mapping keys, in a stable order (keys may be of any type)."""
    return str(min(keys, key=str))


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def parse_condition(raw: Any, questions: dict[str, Question], tiers: set[str]) -> Condition:
    """Parse and check one condition against the question catalogue."""
    if not isinstance(raw, dict):
        raise ConditionError("", "a condition must be a mapping")
    keys = set(raw)
    fact_keys = keys & set(FACT_TESTS)
    if fact_keys:
        if len(keys) != 1:
            raise ConditionError(_first(keys), f"'{_first(fact_keys)}' stands alone")
        kind = next(iter(fact_keys))
        value = raw[kind]
        if kind == "no_disposition":
            if value is not True:
                raise ConditionError(kind, "must be true")
            return Condition(kind=kind)
        if not isinstance(value, str) or not value:
            raise ConditionError(kind, "must be a name")
        if kind == "trigger_tier" and value not in tiers:
            raise ConditionError(kind, f"unknown tier {value!r}")
        return Condition(kind=kind, name=value)
    if "question" not in keys:
        raise ConditionError("question", "missing: say which question the condition tests")
    qid = raw["question"]
    if not isinstance(qid, str) or qid not in questions:
        raise ConditionError("question", f"unknown question {qid!r}")
    q = questions[qid]
    tests = keys - {"question"}
    unknown = tests - set(ANSWER_TESTS)
    if unknown:
        raise ConditionError(_first(unknown), "unknown test")
    if not tests:
        raise ConditionError("question", "no test given (is, in, not_in, any_of, min, max, ...)")
    numeric = tests & set(NUMERIC_KEYS)
    if numeric:
        return _parse_numeric(raw, q, tests)
    if len(tests) != 1:
        raise ConditionError(sorted(tests)[1], "one test per condition")
    test = next(iter(tests))
    value = raw[test]
    values = (value,) if test == "is" else value
    if not isinstance(values, list | tuple) or not values:
        raise ConditionError(test, "expected a non-empty list of values")
    values = tuple("yes" if v is True else "no" if v is False else v for v in values)
    allowed = {
        "is": ("yesno", "choice"),
        "in": ("yesno", "choice"),
        "not_in": ("yesno",),
        "any_of": ("multi",),
    }[test]
    if q.type not in allowed:
        raise ConditionError(test, f"'{test}' does not apply to {q.type} question {qid!r}")
    for v in values:
        if v not in q.choices:
            raise ConditionError(test, f"{v!r} is not a value of {qid!r}")
    if test in ("is", "in") and q.type == "yesno" and "no" in values:
        raise ConditionError(test, "an unanswered question reads as 'no': test with not_in instead")
    return Condition(kind="answer", question=qid, test=test, values=values)


def _parse_numeric(raw: dict, q: Question, tests: set[str]) -> Condition:
    if q.type not in ("integer", "number"):
        raise ConditionError(sorted(tests)[0], f"numeric test on {q.type} question {q.id!r}")
    if tests - set(NUMERIC_KEYS):
        raise ConditionError(sorted(tests - set(NUMERIC_KEYS))[0], "mixes numeric and value tests")
    if {"min", "above"} <= tests or {"max", "below"} <= tests:
        raise ConditionError("min", "give one lower and one upper bound at most")
    for key in sorted(tests):
        v = raw[key]
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ConditionError(key, f"expected a number, got {v!r}")
        if not math.isfinite(v):  # NaN compares false with everything: the test would never fail
            raise ConditionError(key, f"expected a finite number, got {v!r}")
        if (q.min is not None and v < q.min) or (q.max is not None and v > q.max):
            raise ConditionError(key, f"{v} is outside the range of {q.id!r}")
    low_key = "min" if "min" in tests else "above" if "above" in tests else None
    high_key = "max" if "max" in tests else "below" if "below" in tests else None
    cond = Condition(
        kind="answer",
        question=q.id,
        test="range",
        low=raw[low_key] if low_key else None,
        low_inclusive=low_key == "min",
        high=raw[high_key] if high_key else None,
        high_inclusive=high_key == "max",
    )
    if (
        cond.low is not None
        and cond.high is not None
        and (
            cond.low > cond.high
            or (cond.low == cond.high and not (cond.low_inclusive and cond.high_inclusive))
        )
    ):
        raise ConditionError(high_key or "max", "the range is empty: this condition can never hold")
    return cond
