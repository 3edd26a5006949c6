"""Which questions a form must have answered, and when a form shows a question at all.

Both come from the rule base alone, so a question added to the catalogue and read by a rule is
covered with no change here:

- **required**: a question that some rule reads on its way to an outcome that is not
  self-care (directly, or through a finding such a rule reads). Left blank, it could hide a
  reason to see someone, so a form filler must not submit the form without it. The policy
  never gives self-care while such a question is unanswered; this is the form's side of that.
- **enableWhen**: a question is shown only when every rule that reads it could still fire on
  the other answers. Each such rule needs certain answers to other questions (``age`` of at
  least 12, ``both_legs`` yes); what every reader needs, widened to cover them all (the union
  of the values, the loosest bounds), is the question's condition. So hiding a question never
  hides one whose answer could matter: when the condition fails, no rule that reads it can
  fire. A yes test also accepts "not sure", since an unsure warning sign fires its rule in a
  softened form. FHIR allows one ``enableBehavior`` per item: the condition is kept whole when
  it is one test or one question's values, else only its single tests (bounds, one value)
  are kept, which shows the question more often, never less.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..conditions import Condition
from ..knowledge import KRule, RuleBase
from ..relevance import reaches


@dataclass(frozen=True)
class Need:
    """What the rules reading a question need of one other question: one of ``values`` (a
    coded question), or a number within ``low``..``high`` (each bound inclusive or not)."""

    question: str
    values: tuple[str, ...] = ()
    low: float | None = None
    low_inclusive: bool = True
    high: float | None = None
    high_inclusive: bool = True


@dataclass(frozen=True)
class Gate:
    """One enableWhen: ``question`` ``operator`` ``answer`` (a code, or a number)."""

    question: str
    operator: str
    answer: str | float


def required(rb: RuleBase) -> frozenset[str]:
    """The questions a form must have answered: those that can lead beyond self-care."""
    self_care = max((o.rank for o in rb.outcomes if o.self_care), default=-1)
    ways = reaches(rb)
    out: set[str] = set()
    for r in rb.rules:
        if any(w.rank > self_care for w in ways.get(r.id, [])):
            out.update(r.questions)
    return frozenset(out)


def enable_when(rb: RuleBase, question: str) -> tuple[list[Gate], str | None]:
    """The enableWhen tests of ``question`` and their behaviour (``all``/``any``, or None for
    a single test); no tests when it is always shown."""
    readers = [r for r in rb.rules if question in r.questions]
    if not readers:
        return [], None
    needs = [n for n in _common_needs(rb, readers, question) if _tests(rb, n)]
    coded = [n for n in needs if n.values]
    if len(needs) == 1 and coded:  # one question, any of its values
        tests = _tests(rb, coded[0])
        return tests, ("any" if len(tests) > 1 else None)
    # Otherwise every test must hold: the bounds, and the questions needed at one value.
    singles = [t for n in needs for t in _tests(rb, n) if not n.values or len(n.values) == 1]
    if singles:
        return singles, ("all" if len(singles) > 1 else None)
    if coded:
        tests = _tests(rb, coded[0])
        return tests, ("any" if len(tests) > 1 else None)
    return [], None


def _common_needs(rb: RuleBase, readers: list[KRule], question: str) -> list[Need]:
    """What every reader needs of other questions, widened to cover all of them."""
    per_rule = [_needs(rb, r, question) for r in readers]
    common = set(per_rule[0]).intersection(*per_rule[1:])
    out = []
    for qid in sorted(common, key=lambda q: rb.questions[q].order):
        parts = [p[qid] for p in per_rule]
        if rb.questions[qid].type in ("integer", "number"):
            out.append(_widest(qid, parts))
        else:
            values = {v for p in parts for v in p.values}
            out.append(Need(qid, tuple(v for v in rb.questions[qid].choices if v in values)))
    return out


def _needs(rb: RuleBase, r: KRule, question: str) -> dict[str, Need]:
    """What rule ``r`` needs of each other question: the tests an unanswered question fails."""
    out: dict[str, Need] = {}
    for c in r.conditions:
        q = c.question
        if c.kind != "answer" or q is None or q == question or c.holds(None):
            continue
        need = _need(rb, c)
        out[q] = _narrowest(out[q], need) if q in out else need
    return out


def _need(rb: RuleBase, c: Condition) -> Need:
    q = rb.questions[c.question or ""]
    if c.test in ("is", "in", "any_of", "answered"):
        values = set(c.values)
        if q.type == "yesno" and "yes" in values and c.test != "answered":
            values.add("unsure")  # an unsure warning sign still fires its rule, softened
        return Need(q.id, tuple(v for v in q.choices if v in values))
    if q.type in ("integer", "number"):
        return Need(q.id, (), c.low, c.low_inclusive, c.high, c.high_inclusive)
    return Need(q.id, tuple(q.choices))  # a test not known here: any answer may meet it


def _narrowest(a: Need, b: Need) -> Need:
    """Two needs of one rule on one question: both must hold (keep the first's values if
    coded; for numbers, the tighter of each bound)."""
    if a.values or b.values:
        return Need(a.question, tuple(v for v in a.values if v in b.values) or a.values)
    low, low_inc = _pick((a.low, a.low_inclusive), (b.low, b.low_inclusive), max)
    high, high_inc = _pick((a.high, a.high_inclusive), (b.high, b.high_inclusive), min)
    return Need(a.question, (), low, low_inc, high, high_inc)


def _widest(question: str, needs: list[Need]) -> Need:
    """One question's numeric needs across rules, widened to cover each (a side any rule
    leaves open stays open)."""
    lows = [(n.low, n.low_inclusive) for n in needs]
    highs = [(n.high, n.high_inclusive) for n in needs]
    low: tuple[float | None, bool] = (None, True)
    high: tuple[float | None, bool] = (None, True)
    if all(v is not None for v, _ in lows):
        low = min(lows, key=lambda b: (b[0], not b[1]))
    if all(v is not None for v, _ in highs):
        high = max(highs, key=lambda b: (b[0], b[1]))
    return Need(question, (), low[0], low[1], high[0], high[1])


def _pick(
    a: tuple[float | None, bool], b: tuple[float | None, bool], choose: object
) -> tuple[float | None, bool]:
    if a[0] is None:
        return b
    if b[0] is None:
        return a
    if a[0] == b[0]:
        return (a[0], a[1] and b[1])
    return a if choose(a[0], b[0]) == a[0] else b  # type: ignore[operator]


def _tests(rb: RuleBase, need: Need) -> list[Gate]:
    """A need as enableWhen tests: any one value (coded), or both bounds (numbers)."""
    q = rb.questions[need.question]
    if q.type not in ("integer", "number"):
        if set(need.values) >= set(q.choices):
            return []  # any answer will do: no test
        return [Gate(q.id, "=", v) for v in need.values]
    tests = []
    for bound, inclusive, strict, loose in (
        (need.low, need.low_inclusive, ">", ">="),
        (need.high, need.high_inclusive, "<", "<="),
    ):
        if bound is None:
            continue
        if q.type == "integer":
            if bound != math.floor(bound):  # "above 5.5" of whole numbers: at least 6
                bound = math.ceil(bound) if strict == ">" else math.floor(bound)
                inclusive = True
            tests.append(Gate(q.id, loose if inclusive else strict, int(bound)))
        else:
            tests.append(Gate(q.id, loose if inclusive else strict, float(bound)))
    return tests
