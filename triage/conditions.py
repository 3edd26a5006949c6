"""The condition grammar of rule files, kept small so that rules stay data and are never eval'd.

A condition is a mapping with exactly one subject and one test:

- on an answer: ``{question: ID, is: yes}``, ``{question: ID, in: [..]}``,
  ``{question: ID, not_in: [..]}`` (yes/no only; an unanswered question reads as ``no``),
  ``{question: ID, answered: [..]}`` (the answer is one of these, ``no`` included: an
  unanswered question does not meet it), ``{question: ID, other_than: [..]}`` (the answer is
  not one of these: an unanswered question meets it; for answers that can only lower urgency),
  ``{question: ID, any_of: [..]}`` (multi), ``{question: ID, min/max/above/below: N}``
  (numbers; ``min``/``max`` inclusive, ``above``/``below`` exclusive, combinable);
- on a value derived from answers (questions.yaml, ``derived``): ``{derived: ID, min: N}`` and
  the other numeric tests; it holds only when every answer the value is made of is given;
- on derived facts: ``{finding: NAME}``, ``{no_finding: NAME}``, ``{trigger_tier: TIER}``
  (a trigger of that tier met only through ``unsure`` answers), ``{no_disposition: true}``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .questions import Question

NUMERIC_KEYS = ("min", "max", "above", "below")
ANSWER_TESTS = ("is", "in", "not_in", "answered", "other_than", "any_of", *NUMERIC_KEYS)
#: Tests an answer can only stop from holding (answering cannot make them hold where an
#: unanswered question did not already): the interview asks them only to lower urgency.
BLOCKING_TESTS = ("not_in", "other_than")
FACT_TESTS = ("finding", "no_finding", "trigger_tier", "no_disposition")


class ConditionError(ValueError):
    """A condition does not fit the grammar; ``field`` names the offending key."""

    def __init__(self, field: str, message: str):
        self.field, self.message = field, message
        super().__init__(message)


@dataclass(frozen=True)
class Condition:
    """One parsed condition. ``kind`` is ``answer``, ``derived`` (``name`` is the derived
    value's id; ``test`` is ``range``) or one of ``FACT_TESTS``."""

    kind: str
    question: str | None = None
    test: str = ""  # is | in | not_in | answered | other_than | any_of | range
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
        if self.test == "other_than":
            return value not in self.values
        if value is None:
            return False
        if self.test in ("is", "in", "answered"):
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
        q = self.question if self.kind == "answer" else self.name
        if self.test == "is":
            return f"{q} is {self.values[0]}"
        if self.test == "in":
            return f"{q} is one of {', '.join(self.values)}"
        if self.test == "not_in":
            return f"{q} is not {' or '.join(self.values)}"
        if self.test == "answered":
            return f"{q} is answered {' or '.join(self.values)}"
        if self.test == "other_than":
            return f"{q} is not answered {' or '.join(self.values)} (unanswered counts)"
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


def parse_condition(
    raw: Any,
    questions: dict[str, Question],
    tiers: set[str],
    derived: Mapping[str, Any] | None = None,
) -> Condition:
    """Parse and check one condition against the question catalogue and the derived values
    (``derived``: their ids; each a number)."""
    if not isinstance(raw, dict):
        raise ConditionError("", "a condition must be a mapping")
    keys = set(raw)
    if "derived" in keys:
        return _parse_derived(raw, derived or {})
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
        "answered": ("yesno", "choice"),
        "other_than": ("yesno", "choice"),
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


def _parse_derived(raw: dict[str, Any], derived: Mapping[str, Any]) -> Condition:
    """``{derived: ID, min/max/above/below: N}``: a numeric test on a derived value."""
    name = raw["derived"]
    if not isinstance(name, str) or name not in derived:
        raise ConditionError("derived", f"unknown derived value {name!r} (see questions.yaml)")
    tests = set(raw) - {"derived"}
    if not tests:
        raise ConditionError("derived", "no test given (min, max, above, below)")
    unknown = tests - set(NUMERIC_KEYS)
    if unknown:
        raise ConditionError(_first(unknown), "a derived value takes numeric tests only")
    cond = _bounds(raw, tests, name, None, None)
    return Condition(
        kind="derived",
        test="range",
        name=name,
        low=cond.low,
        low_inclusive=cond.low_inclusive,
        high=cond.high,
        high_inclusive=cond.high_inclusive,
    )


def _parse_numeric(raw: dict[str, Any], q: Question, tests: set[str]) -> Condition:
    if q.type not in ("integer", "number"):
        raise ConditionError(sorted(tests)[0], f"numeric test on {q.type} question {q.id!r}")
    return _bounds(raw, tests, q.id, q.min, q.max)


def _bounds(
    raw: dict[str, Any], tests: set[str], subject: str, least: float | None, most: float | None
) -> Condition:
    """A range condition on ``subject`` from its numeric tests, checked."""
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
        if (least is not None and v < least) or (most is not None and v > most):
            raise ConditionError(key, f"{v} is outside the range of {subject!r}")
    low_key = "min" if "min" in tests else "above" if "above" in tests else None
    high_key = "max" if "max" in tests else "below" if "below" in tests else None
    cond = Condition(
        kind="answer",
        question=subject,
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
