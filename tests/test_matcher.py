"""The lean engine path against experta's own: same firings, same order, same conclusions.

The compiled alpha network (alpha.py), ``LeanReteMatcher``, the lean fact list, ``start()``
and the skipped redundant Verdict facts are speed work; these tests pin them to what stock
experta does with the same rules: their answer conditions as field tests on one ``Answers``
fact, ``ReteMatcher``, ``reset()`` + ``declare()`` of facts built by ``Fact()``, experta's
own run loop, and a Verdict for every conclusion.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from experta import AS, MATCH, NOT, Fact, KnowledgeEngine, Rule
from experta.matchers.rete import ReteMatcher
from hypothesis import given
from hypothesis import strategies as st
from test_invariants import answers
from test_invariants import full as full_answers

from triage.engine import TriageEngine, _Engine, compile_rulebase
from triage.facts import Answers, Holds, Verdict
from triage.matcher import LeanReteMatcher
from triage.service import Triage
from triage.strategy import SalienceStrategy

LEAN = Triage.load().engine


def _stock(compiled: type[_Engine]) -> KnowledgeEngine:
    """The same compiled rules on experta's stock matcher, reset, declarations and run."""

    def start(self: Any, *facts: Fact) -> None:
        KnowledgeEngine.reset(self)
        self.declare(*facts)

    def add_fact(self: Any, cls: type[Fact], **values: Any) -> None:
        self.declare(cls(**values))

    def conclude(self: Any, info: Any) -> None:
        self.verdicts.append(info)
        final = self.final(info.rule)
        self.add_fact(
            Verdict, rule=info.rule, rank=info.outcome.rank, via=info.via or "", final=final
        )

    attrs = {
        "__matcher__": ReteMatcher,
        "start": start,
        "add_fact": add_fact,
        "conclude": conclude,
        "run": KnowledgeEngine.run,
    }
    return type("StockEngine", (compiled,), attrs)()


def _engine(
    full: Callable[[], KnowledgeEngine], conclude: Callable[[], KnowledgeEngine]
) -> TriageEngine:
    return TriageEngine(LEAN.rulebase, factories={True: full, False: conclude})


RB = LEAN.rulebase
_FULL, _CONCLUDE = (compile_rulebase(RB, with_needs=n, alpha=False) for n in (True, False))
STOCK = _engine(lambda: _stock(_FULL), lambda: _stock(_CONCLUDE))
# The lean matcher on the field tests, without the compiled alpha network.
FIELDS = _engine(_FULL, _CONCLUDE)


def _summary(ev: Any) -> tuple[Any, ...]:
    return (
        ev.fired,
        [(f.matched, f.unsure, f.concluded, f.softens) for f in ev.firings],
        [(v.rule, v.outcome, v.via, v.unsure) for v in ev.verdicts],
        ev.needs,
        ev.outcome,
    )


def _facts(engine: TriageEngine, ans: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The facts the last evaluation left, in declaration order, without the case's own."""
    engine.evaluate(ans)
    ke = engine._full if len(ans) < len(engine._order) else engine._conclude
    return [
        (type(f).__name__, f.as_dict())
        for f in ke.facts.values()
        if not isinstance(f, Answers | Holds)
    ]


def test_the_engine_runs_on_the_lean_matcher_and_the_alpha_network():
    assert isinstance(LEAN._full.matcher, LeanReteMatcher)
    assert LEAN._full.alpha is not None and LEAN._conclude.alpha is not None
    assert type(STOCK._full.matcher) is ReteMatcher and STOCK._full.alpha is None
    assert isinstance(FIELDS._full.matcher, LeanReteMatcher) and FIELDS._full.alpha is None


@given(answers)
def test_partial_answers_conclude_as_on_stock_experta(ans):
    expected = _summary(STOCK.evaluate(ans))
    assert _summary(LEAN.evaluate(ans)) == expected
    assert _summary(FIELDS.evaluate(ans)) == expected


@given(full_answers)
def test_full_answers_conclude_as_on_stock_experta(ans):
    expected = _summary(STOCK.evaluate(ans))
    assert _summary(LEAN.evaluate(ans)) == expected
    assert _summary(FIELDS.evaluate(ans)) == expected


@given(answers)
def test_the_same_facts_are_derived_as_on_stock_experta(ans):
    # Stock declares a Verdict for every conclusion; the lean engine only when it is more
    # urgent than any before (engine.conclude). Stock runs one need rule per need, each
    # with its own Need fact; the lean engine one per verdict gate, whose Need fact holds
    # every need of the group that the answers leave open (engine.compile_rulebase): the
    # same needs, numbered alike. Every other derived fact is the same, in the same order.
    def derived(engine: TriageEngine) -> list[tuple[str, dict[str, Any]]]:
        return [f for f in _facts(engine, ans) if f[0] not in ("Verdict", "Need")]

    def needs(engine: TriageEngine) -> list[Any]:
        held = [n for f in _facts(engine, ans) if f[0] == "Need" for n in f[1]["held"]]
        return sorted(held, key=lambda n: n[3])

    assert derived(LEAN) == derived(STOCK)
    stock_needs = needs(STOCK)
    assert needs(LEAN) == stock_needs
    assert [n[3] for n in stock_needs] == sorted({n[3] for n in stock_needs})
    assert sum(f[0] == "Need" for f in _facts(LEAN, ans)) <= sum(
        f[0] == "Need" for f in _facts(STOCK, ans)
    )
    lean_verdicts = [f[1] for f in _facts(LEAN, ans) if f[0] == "Verdict"]
    stock_verdicts = [f[1] for f in _facts(STOCK, ans) if f[0] == "Verdict"]
    assert all(v in stock_verdicts for v in lean_verdicts)
    top = max((v["rank"] for v in stock_verdicts), default=None)
    assert max((v["rank"] for v in lean_verdicts), default=None) == top


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

    @Rule(Item(kind="c"), salience=0)
    def plain(self, **context: Any) -> None:  # one unnamed pattern: its capture is skipped
        self._note("plain", context)

    @Rule(Item(kind="a"), Item(kind="a"), salience=7)
    def twice(self, **context: Any) -> None:
        # Two unnamed patterns that two facts can each meet: only their captures tell
        # (x, y) from (y, x), so each pair of such facts fires twice, as in experta.
        self._note("twice", context)


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


def test_only_the_network_for_complete_answers_reads_no_verdict_field():
    # There the one pattern on Verdict facts is "no verdict at all", so the engine declares
    # one only when it is more urgent than all before (engine.conclude).
    assert LEAN._conclude.verdict_any and not LEAN._full.verdict_any
    assert not _stock(_CONCLUDE).verdict_any  # stock experta's matcher: every verdict


def test_engine_class_is_lean():
    assert _Engine.__matcher__ is LeanReteMatcher
