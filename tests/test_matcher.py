"""The lean engine path against experta's own: same firings, same order, same conclusions.

``LeanReteMatcher``, ``start()`` and the skipped redundant Verdict facts are speed work; these
tests pin them to what stock experta (``ReteMatcher``, ``reset()`` + ``declare()``, a Verdict
for every conclusion) does with the same rules.
"""

from __future__ import annotations

from typing import Any

from experta import AS, MATCH, NOT, Fact, KnowledgeEngine, Rule
from experta.matchers.rete import ReteMatcher
from hypothesis import given
from hypothesis import strategies as st
from test_invariants import answers
from test_invariants import full as full_answers

from triage.engine import TriageEngine, _Engine
from triage.facts import Verdict
from triage.matcher import LeanReteMatcher
from triage.service import Triage
from triage.strategy import SalienceStrategy

LEAN = Triage.load().engine


def _stock(compiled: KnowledgeEngine) -> KnowledgeEngine:
    """The same compiled rules on experta's stock matcher, reset and declarations."""

    def start(self: Any, *facts: Fact) -> None:
        KnowledgeEngine.reset(self)
        self.declare(*facts)

    def conclude(self: Any, info: Any) -> None:
        self.verdicts.append(info)
        self.declare(Verdict(rule=info.rule, rank=info.outcome.rank, via=info.via or ""))

    attrs = {"__matcher__": ReteMatcher, "start": start, "conclude": conclude}
    return type("StockEngine", (type(compiled),), attrs)()


STOCK = TriageEngine(LEAN.rulebase)
STOCK._full = _stock(STOCK._full)
STOCK._conclude = _stock(STOCK._conclude)


def _summary(ev: Any) -> tuple[Any, ...]:
    return (
        ev.fired,
        [(f.matched, f.unsure, f.concluded, f.softens) for f in ev.firings],
        [(v.rule, v.outcome, v.via, v.unsure) for v in ev.verdicts],
        ev.needs,
        ev.outcome,
    )


def test_the_engine_runs_on_the_lean_matcher():
    assert isinstance(LEAN._full.matcher, LeanReteMatcher)
    assert type(STOCK._full.matcher) is ReteMatcher


@given(answers)
def test_partial_answers_conclude_as_on_stock_experta(ans):
    assert _summary(LEAN.evaluate(ans)) == _summary(STOCK.evaluate(ans))


@given(full_answers)
def test_full_answers_conclude_as_on_stock_experta(ans):
    assert _summary(LEAN.evaluate(ans)) == _summary(STOCK.evaluate(ans))


def test_repeated_evaluations_leave_no_state_behind(triage):
    calm = {"age": 30, "location": "lower_back", "severity": 2}
    first = _summary(LEAN.evaluate(calm))
    LEAN.evaluate({"saddle_numbness": "yes", "bladder_bowel_change": "unsure"})
    assert _summary(LEAN.evaluate(calm)) == first


# The matcher on its own, with what the triage rules do not use (yet): variable bindings
# across facts, retraction (invalid tokens) and modify.


class Item(Fact):
    pass


class Stock(KnowledgeEngine):
    """Each rule logs its name and the whole context experta hands it (facts by id)."""

    __strategy__ = SalienceStrategy

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, list[tuple[str, Any]]]] = []

    def _note(self, name: str, context: dict[str, Any]) -> None:
        self.log.append(
            (
                name,
                sorted(
                    (k, v["__factid__"] if isinstance(v, Fact) else v) for k, v in context.items()
                ),
            )
        )

    @Rule(AS.a << Item(kind="a", key=MATCH.k), AS.b << Item(kind="b", key=MATCH.k), salience=6)
    def pair(self, **context: Any) -> None:
        self._note("pair", context)

    @Rule(AS.other << Item(kind="a", key=MATCH.j), salience=5)
    def alias(self, **context: Any) -> None:  # the same facts, bound under other names
        self._note("alias", context)

    @Rule(AS.a << Item(kind="a", key=MATCH.k), NOT(Item(kind="b", key=MATCH.k)), salience=4)
    def lonely(self, **context: Any) -> None:
        self._note("lonely", context)

    @Rule(AS.c << Item(kind="c", key=MATCH.k), salience=3)
    def consume(self, c: Fact, k: Any, **context: Any) -> None:
        self._note("consume", {"c": c, "k": k, **context})
        self.retract(c)
        self.declare(Item(kind="b", key=k))

    @Rule(AS.d << Item(kind="d", key=MATCH.k), salience=2)
    def bump(self, d: Fact, **context: Any) -> None:
        self._note("bump", {"d": d, **context})
        self.modify(d, kind="a")

    @Rule(NOT(Item()), salience=1)
    def empty(self, **context: Any) -> None:
        self._note("empty", context)


class Lean(Stock):
    __matcher__ = LeanReteMatcher


items = st.lists(
    st.tuples(st.sampled_from("abcd"), st.integers(0, 3)).map(lambda t: Item(kind=t[0], key=t[1])),
    max_size=8,
)


def _run(engine: Stock, facts: list[Fact]) -> list[tuple[str, list[tuple[str, Any]]]]:
    engine.reset()
    engine.declare(*[f.copy() for f in facts])
    engine.run()
    return engine.log


@given(items)
def test_lean_matcher_fires_as_experta_with_joins_retractions_and_modify(facts):
    assert _run(Lean(), facts) == _run(Stock(), facts)


@given(items, items)
def test_lean_matcher_after_reset_forgets_the_previous_run(first, second):
    lean = Lean()
    _run(lean, first)
    lean.log.clear()
    assert _run(lean, second) == _run(Stock(), second)


def test_engine_class_is_lean():
    assert _Engine.__matcher__ is LeanReteMatcher
