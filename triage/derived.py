"""Values derived from answers, declared as data in questions.yaml (``derived:``).

Some triggers test a number no single question asks: the age at which the pain began (age
minus the weeks it has lasted), or how many signs of a list are present. Rather than code a
formula, a rule base declares each such value as a sum of terms, each one of:

- ``{question: ID}`` a number answer, optionally ``times: N`` and ``per: N`` (value * N / N);
- ``{count: ID}`` how many values of a multi answer were chosen;
- ``{count_if: CONDITION}`` 1 when an answer or derived condition holds, else 0.

A derived value is unknown (``None``) while any answer it is made of is unanswered, so a
condition on it never holds then: a missing answer never escalates. Conditions test it with
``{derived: ID, min/max/above/below: N}``. The alpha network compiles the same sum into code
(alpha.py); ``Derived.value`` reads it from the data and is the reference.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .conditions import Condition, ConditionError, parse_condition
from .errors import RuleBaseError
from .questions import Question

TERM_KINDS = ("question", "count", "count_if")
TERM_FIELDS = (*TERM_KINDS, "times", "per")


@dataclass(frozen=True)
class Term:
    """One term of a derived sum: ``number``, ``count`` or ``count_if``."""

    kind: str
    question: str = ""
    times: float = 1
    per: float = 1
    condition: Condition | None = None


@dataclass(frozen=True)
class Derived:
    """A value derived from answers: ``reads`` every question it is made of, in order."""

    id: str
    title: str
    terms: tuple[Term, ...]
    reads: tuple[str, ...]

    def value(self, answers: Mapping[str, Any], table: Mapping[str, Derived]) -> Any:
        """The value for these answers, or None while one it reads is unanswered."""
        if any(answers.get(q) is None for q in self.reads):
            return None
        total: Any = 0
        for t in self.terms:
            if t.kind == "number":
                total = total + answers[t.question] * t.times / t.per
            elif t.kind == "count":
                total = total + len(answers[t.question])
            else:
                c = t.condition
                assert c is not None
                v = (
                    answers.get(c.question or "")
                    if c.kind == "answer"
                    else table[c.name].value(answers, table)
                )
                total = total + (1 if c.holds(v) else 0)
        return total


def load_derived(file: str, data: Any, questions: dict[str, Question]) -> dict[str, Derived]:
    """questions.yaml's ``derived:`` list, checked; each may use those declared before it."""
    raw = data.get("derived", []) if isinstance(data, dict) else []
    if not isinstance(raw, list):
        raise RuleBaseError(file, "expected a list of derived values", field="derived")
    groups = {g.get("id") for g in (data.get("groups") or []) if isinstance(g, dict)}
    out: dict[str, Derived] = {}
    for i, entry in enumerate(raw):
        did = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(did, str) or not did:
            raise RuleBaseError(
                file, "each derived value needs an id", item=f"derived #{i + 1}", field="id"
            )
        item = f"derived '{did}'"
        if did in out or did in questions or did in groups:
            raise RuleBaseError(
                file, "duplicate id (questions, groups and derived share ids)", item=item
            )
        unknown = set(entry) - {"id", "title", "sum"}
        if unknown:
            raise RuleBaseError(
                file, "unknown field", item=item, field=sorted(map(str, unknown))[0]
            )
        title = entry.get("title")
        if not isinstance(title, str) or not title.strip():
            raise RuleBaseError(file, "missing or empty", item=item, field="title")
        terms_raw = entry.get("sum")
        if not isinstance(terms_raw, list) or not terms_raw:
            raise RuleBaseError(file, "expected a non-empty list of terms", item=item, field="sum")
        terms: list[Term] = []
        reads: set[str] = set()
        for j, term in enumerate(terms_raw):
            where = f"sum[{j}]"
            t = _term(file, item, where, term, questions, out)
            terms.append(t)
            if t.kind != "count_if":
                reads.add(t.question)
            elif t.condition is not None and t.condition.kind == "answer":
                reads.add(t.condition.question or "")
            elif t.condition is not None:
                reads.update(out[t.condition.name].reads)
        order = sorted(reads, key=lambda q: questions[q].order)
        out[did] = Derived(did, title.strip(), tuple(terms), tuple(order))
    return out


def _term(
    file: str,
    item: str,
    where: str,
    term: Any,
    questions: dict[str, Question],
    known: dict[str, Derived],
) -> Term:
    if not isinstance(term, dict):
        raise RuleBaseError(file, "a term must be a mapping", item=item, field=where)
    unknown = set(term) - set(TERM_FIELDS)
    if unknown:
        raise RuleBaseError(
            file, f"unknown field (one of {', '.join(TERM_FIELDS)})", item=item, field=where
        )
    kinds = [k for k in TERM_KINDS if k in term]
    if len(kinds) != 1:
        raise RuleBaseError(
            file, "a term is one of: question, count, count_if", item=item, field=where
        )
    kind = kinds[0]
    if kind != "question" and ("times" in term or "per" in term):
        raise RuleBaseError(
            file, "times and per apply to a question's number", item=item, field=where
        )
    if kind == "count_if":
        try:
            cond = parse_condition(term["count_if"], questions, set(), known)
        except ConditionError as exc:
            fld = f"{where}.count_if" + (f".{exc.field}" if exc.field else "")
            raise RuleBaseError(file, exc.message, item=item, field=fld) from None
        if cond.kind not in ("answer", "derived"):
            raise RuleBaseError(
                file, "count_if tests an answer or a derived value", item=item, field=where
            )
        return Term("count_if", condition=cond)
    qid = term[kind]
    q = questions.get(qid) if isinstance(qid, str) else None
    if q is None:
        raise RuleBaseError(file, f"unknown question {qid!r}", item=item, field=f"{where}.{kind}")
    wanted = ("integer", "number") if kind == "question" else ("multi",)
    if q.type not in wanted:
        raise RuleBaseError(
            file, f"{kind} does not apply to {q.type} question {qid!r}", item=item, field=where
        )
    if kind == "count":
        return Term("count", question=qid)
    factors = []
    for key in ("times", "per"):
        v = term.get(key, 1)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise RuleBaseError(file, "expected a finite number", item=item, field=f"{where}.{key}")
        factors.append(v)
    if factors[1] == 0:
        raise RuleBaseError(file, "cannot divide by 0", item=item, field=f"{where}.per")
    return Term("number", question=qid, times=factors[0], per=factors[1])
