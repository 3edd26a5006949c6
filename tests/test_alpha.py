"""The compiled alpha network says exactly what reading the conditions says.

``AlphaNetwork.facts`` is generated Python; ``AlphaNetwork.interpret`` reads each test from
its parsed condition (``Condition.holds``). They must agree on every answer set: the bundled
rule base's conjunctions on random and corpus answers, and arbitrary conditions of every
kind of the grammar on arbitrary values, so the code generator is tested beyond the tests
the bundled rules happen to use.
"""

from __future__ import annotations

import ast
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_corpus import corpus
from test_invariants import answers
from test_invariants import full as full_answers

from triage.alpha import DEFINITE, POSSIBLE, UNKNOWN, AlphaNetwork
from triage.alpha import Test as AnswerTest
from triage.conditions import Condition
from triage.facts import Holds
from triage.service import Triage

ENGINE = Triage.load().engine
NETWORKS = {"full": ENGINE._full.alpha, "conclude": ENGINE._conclude.alpha}


def _held(facts: list[Holds]) -> list[type]:
    return [type(f) for f in facts]


def _groups(facts: list[Holds]) -> list[tuple[type, Any]]:
    return [(type(f), f["held"]) for f in facts]


def _same(network: AlphaNetwork, ans: dict[str, Any]) -> None:
    """The compiled functions give what reading each condition gives."""
    assert _held(network.facts(ans)) == _held(network.interpret(ans))
    assert _groups(network.group_facts(ans)) == _groups(network.interpret_groups(ans))


def test_every_compiled_rule_reads_its_answers_through_the_network():
    full = NETWORKS["full"]
    assert full is not None
    rules = [r for r in ENGINE.rulebase.rules if any(c.kind == "answer" for c in r.conditions)]
    # one conjunction per trigger rule with answer conditions at least, more for need rules
    assert len(NETWORKS["conclude"].conjunctions) >= len({r.id for r in rules}) - 5
    assert len(full.conjunctions) == len(NETWORKS["conclude"].conjunctions)
    subjects = {*ENGINE.rulebase.questions, *ENGINE.rulebase.derived}
    for conj, cls in full.conjunctions.items():
        assert issubclass(cls, Holds) and cls.__doc__.startswith("Holds: ")
        assert all(t.question in subjects for t in conj)
    # the need rules' conjunctions, in groups (one per need rule), each need numbered once
    assert not NETWORKS["conclude"].groups
    needs = [need for members in full.groups.values() for _, need in members]
    assert len(needs) > 2 * len(full.groups)
    assert sorted(n[3] for n in needs) == list(range(len(needs)))
    for cls, members in full.groups.items():
        assert issubclass(cls, Holds) and cls.__doc__.startswith("Holds for any of: ")
        for conj, (question, rule, _, _) in members:
            assert all(t.question in subjects for t in conj)
            assert any(t.question == question and t.mode == UNKNOWN for t in conj)
            assert rule in {r.id for r in ENGINE.rulebase.rules}


@given(answers)
def test_compiled_equals_interpreted_on_partial_answers(ans):
    for network in NETWORKS.values():
        _same(network, ans)


@given(full_answers)
def test_compiled_equals_interpreted_on_full_answers(ans):
    for network in NETWORKS.values():
        _same(network, ans)


def test_compiled_equals_interpreted_on_the_corpus(triage):
    cases = corpus(triage)
    assert cases
    for case in cases:
        for network in NETWORKS.values():
            _same(network, case.answers)


def test_an_explicit_none_reads_as_unanswered():
    network = NETWORKS["full"]
    assert _held(network.facts({"fever": None})) == _held(network.facts({}))


@pytest.mark.parametrize("source", ["source", "group_source"])
def test_the_generated_code_holds_no_rule_text(source):
    """Questions and values appear only as constants: no call but ``get`` and the fact
    constructor, no name but locals and the constants' own."""
    tree = ast.parse(getattr(NETWORKS["full"], source))
    (function,) = tree.body
    assert isinstance(function, ast.FunctionDef)
    calls = {ast.unparse(node.func) for node in ast.walk(function) if isinstance(node, ast.Call)}
    assert "get" in calls and "out.append" in calls
    allowed = ("get", "out.append", "h.append")
    assert all(c in allowed or c.startswith("c") for c in calls), calls
    questions = set(ENGINE.rulebase.questions)
    strings = {
        n.value
        for n in ast.walk(function)
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }
    read = {
        n.args[0].value
        for n in ast.walk(function)
        if isinstance(n, ast.Call) and ast.unparse(n.func) == "get"
    }
    assert read <= questions and read
    assert not any("eval" in s or "exec" in s or "import" in s for s in strings)


# Arbitrary tests of every kind, on arbitrary values.

WORDS = ("yes", "no", "unsure", "a", "b")


FAMILIES = (("is", "in", "not_in"), ("any_of",), ("range",))  # tests on one kind of answer


@st.composite
def conditions(draw: Any, family: tuple[str, ...] | None = None) -> Condition:
    test = draw(st.sampled_from(family or sum(FAMILIES, ())))
    if test == "range":
        low = draw(st.none() | st.integers(-5, 5).map(float))
        high = draw(st.none() | st.integers(-5, 5).map(float))
        return Condition(
            "answer",
            "q",
            "range",
            low=low,
            low_inclusive=draw(st.booleans()),
            high=high,
            high_inclusive=draw(st.booleans()),
        )
    size = 1 if test == "is" else draw(st.integers(1, 3))
    values = tuple(
        draw(st.lists(st.sampled_from(WORDS), min_size=size, max_size=size, unique=True))
    )
    return Condition("answer", "q", test, values=values)


def _value_for(condition: Condition) -> st.SearchStrategy[Any]:
    if condition.test == "range":
        return st.none() | st.integers(-6, 6) | st.floats(-6, 6, allow_nan=False)
    if condition.test == "any_of":
        return st.none() | st.lists(st.sampled_from(WORDS), unique=True).map(tuple)
    return st.none() | st.sampled_from(WORDS)


@given(st.data())
def test_compiled_equals_interpreted_for_any_condition(data):
    condition = data.draw(conditions())
    tests = [
        AnswerTest("q", DEFINITE, condition),
        AnswerTest("q", DEFINITE, condition, unsure=True),
        AnswerTest("q", POSSIBLE, condition),
        AnswerTest("q", POSSIBLE, condition, unsure=True),
        AnswerTest("q", UNKNOWN),
    ]
    network = AlphaNetwork("any")
    classes = [network.key([t], f"t{i}") for i, t in enumerate(tests)]
    value = data.draw(_value_for(condition))
    held = _held(network.facts({"q": value}))
    assert held == _held(network.interpret({"q": value}))
    for t, cls in zip(tests, classes, strict=True):
        assert (cls in held) == t.interpret(value)


@given(st.data())
def test_a_conjunction_needs_every_test_even_on_one_question(data):
    family = data.draw(st.sampled_from(FAMILIES))
    first, second = data.draw(conditions(family)), data.draw(conditions(family))
    network = AlphaNetwork("two on one question")
    both = network.key(
        [AnswerTest("q", DEFINITE, first), AnswerTest("q", DEFINITE, second)], "both"
    )
    value = data.draw(_value_for(first))
    held = both in _held(network.facts({"q": value}))
    assert held == (first.holds(value) and second.holds(value))


def test_equal_conjunctions_share_one_fact_class():
    c = Condition("answer", "q", "is", values=("yes",))
    network = AlphaNetwork()
    a = network.key([AnswerTest("q", DEFINITE, c)], "a")
    b = network.key([AnswerTest("q", DEFINITE, c), AnswerTest("q", DEFINITE, c)], "b")
    assert a is b
    assert len(network.conjunctions) == 1
    assert _held(network.facts({"q": "yes"})) == [a]
    assert network.facts({"q": "no"}) == []


def test_warm_builds_the_network_for_complete_answers_and_its_code():
    from triage.engine import TriageEngine

    engine = TriageEngine(ENGINE.rulebase)
    assert not engine._classes
    engine.warm()
    assert set(engine._classes) == {False}  # the network without need rules only
    assert engine._conclude.alpha._compiled is not None
