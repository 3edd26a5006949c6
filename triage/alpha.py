"""The answer tests of every compiled rule, compiled once per rule base into one function.

A rule's answer conditions are field tests on the case. In experta's network each is a
feature-test node on one ``Answers`` fact, and every case runs every node (about 130 compiled
rules, trigger and need, each with its tests), at a Python function call and a token per node.
As Drools' alpha network compiler does for Java, this module turns those tests into code
instead: each distinct test becomes one expression, a generated function evaluates them all
once per case, and every conjunction that holds (the answer part of one compiled rule) is
declared as a ``Holds`` fact of its own class. experta's network keeps everything else: the
joins with findings, softened triggers, the verdict gates of the need rules, salience, the
agenda and the firing, so forward chaining, the audit trail and the next-question protocol
stay in experta.

The code is built as a Python AST from parsed, validated conditions (``conditions.py``): a
question id or an answer value only ever appears as a constant, and no rule text is ever
evaluated. ``Test.interpret`` is the same test read directly from the condition; the tests
check the compiled function against it, and the engine can run on it instead
(``compile_rulebase(..., alpha=False)``), as experta field tests on the ``Answers`` fact.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .conditions import Condition
from .facts import Holds

DEFINITE, POSSIBLE, UNKNOWN = "definite", "possible", "unknown"


@dataclass(frozen=True)
class Test:
    """One test on one answer.

    ``definite``: the condition holds now (an unanswered yes/no reads as no); ``possible``: it
    holds now or may once its question is answered; ``unknown``: the question is unanswered.
    ``unsure`` (for a definite or possible yes test in a tier that softens ``unsure``): an
    answer of ``unsure`` counts as yes.
    """

    question: str
    mode: str
    condition: Condition | None = None
    unsure: bool = False

    def interpret(self, value: Any) -> bool:
        """The test read straight from its condition: the reference for the compiled code."""
        if self.mode == UNKNOWN:
            return value is None
        if self.mode == POSSIBLE and value is None:
            return True
        assert self.condition is not None
        if self._unsure_counts and value == "unsure":
            return True
        return self.condition.holds(value)

    @property
    def _unsure_counts(self) -> bool:
        c = self.condition
        return self.unsure and c is not None and c.test in ("is", "in") and "yes" in c.values

    def expression(self, value: ast.expr, constant: Callable[[Any], ast.expr]) -> ast.expr:
        """The test as a Python expression on ``value`` (a name bound to the answer)."""
        if self.mode == UNKNOWN:
            return _is(value, None)
        definite = self._definite(value, constant)
        if self.mode == POSSIBLE:
            return ast.BoolOp(ast.Or(), [_is(value, None), definite])
        return definite

    def _definite(self, value: ast.expr, constant: Callable[[Any], ast.expr]) -> ast.expr:
        c = self.condition
        assert c is not None
        if c.test in ("is", "in"):
            values = (*c.values, "unsure") if self._unsure_counts else c.values
            if len(values) == 1:
                return ast.Compare(value, [ast.Eq()], [ast.Constant(values[0])])
            return ast.Compare(value, [ast.In()], [ast.Constant(tuple(values))])
        if c.test == "not_in":  # an unanswered question reads as "no"
            outside = ast.Compare(value, [ast.NotIn()], [ast.Constant(tuple(c.values))])
            if "no" not in c.values:
                return outside  # None is outside too, as "no" is
            return ast.BoolOp(ast.And(), [_is_not(value, None), outside])
        if c.test == "any_of":
            disjoint = ast.Call(
                ast.Attribute(constant(frozenset(c.values)), "isdisjoint", ast.Load()),
                [value],
                [],
            )
            return ast.BoolOp(ast.And(), [_is_not(value, None), ast.UnaryOp(ast.Not(), disjoint)])
        bounds: list[ast.expr] = [_is_not(value, None)]
        if c.low is not None:
            op = ast.GtE() if c.low_inclusive else ast.Gt()
            bounds.append(ast.Compare(value, [op], [ast.Constant(c.low)]))
        if c.high is not None:
            op = ast.LtE() if c.high_inclusive else ast.Lt()
            bounds.append(ast.Compare(value, [op], [ast.Constant(c.high)]))
        return bounds[0] if len(bounds) == 1 else ast.BoolOp(ast.And(), bounds)


class AlphaNetwork:
    """The conjunctions of answer tests of a rule base's compiled rules, and their code.

    ``key`` registers a conjunction and returns the ``Holds`` class its facts have (equal
    conjunctions share one); ``facts`` then gives the facts that hold for one case, in
    registration order, by the compiled function, and ``interpret`` the same by reading the
    conditions.
    """

    def __init__(self, name: str = "rule base"):
        self.name = name
        self._keys: dict[tuple[Test, ...], type[Holds]] = {}
        self._compiled: Callable[[Callable[[str], Any]], list[Holds]] | None = None
        self._module: ast.Module | None = None
        self._source = ""

    def key(self, tests: Iterable[Test], label: str) -> type[Holds]:
        """The fact class for this conjunction of tests (named after its first ``label``)."""
        conj = tuple(dict.fromkeys(tests))
        cls = self._keys.get(conj)
        if cls is None:
            self._compiled = None
            words = " and ".join(_words(t) for t in conj)
            cls = type(f"Holds_{label}", (Holds,), {"__doc__": f"Holds: {words}."})
            self._keys[conj] = cls
        return cls

    @property
    def conjunctions(self) -> dict[tuple[Test, ...], type[Holds]]:
        return dict(self._keys)

    def compile(self) -> None:
        """Generate the function now, once all conjunctions are registered: afterwards
        ``facts`` reads nothing that changes, so threads may share the network."""
        if self._compiled is None:
            self._compiled = self._compile()

    def facts(self, answers: Mapping[str, Any]) -> list[Holds]:
        """The ``Holds`` facts for these answers (absent and ``None`` both mean unanswered)."""
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = self._compile()
        return compiled(answers.get)

    def interpret(self, answers: Mapping[str, Any]) -> list[Holds]:
        """The same facts, each test read from its condition (slow; the reference)."""
        return [
            cls()
            for conj, cls in self._keys.items()
            if all(t.interpret(answers.get(t.question)) for t in conj)
        ]

    @property
    def source(self) -> str:
        """The generated function as Python source, for reviewers and tests."""
        if self._compiled is None:
            self._compiled = self._compile()
        if not self._source:  # made only when asked for: it costs as much as compiling
            self._source = ast.unparse(self._module) if self._module else ""
        return self._source

    def _compile(self) -> Callable[[Callable[[str], Any]], list[Holds]]:
        """Generate, compile and return ``holds(get) -> [Holds facts]``.

        Each question read gets a local (``v0 = get('fever')``), each distinct test a local
        (``t3 = v0 == 'yes'``), and each conjunction an ``if`` that appends its fact.
        """
        namespace: dict[str, Any] = {}

        def constant(value: Any) -> ast.expr:
            name = f"c{len(namespace)}"
            namespace[name] = value
            return ast.Name(name, ast.Load())

        values: dict[str, str] = {}
        tests: dict[Test, str] = {}
        body: list[ast.stmt] = []
        for conj in self._keys:
            for t in conj:
                if t.question not in values:
                    name = values[t.question] = f"v{len(values)}"
                    call = ast.Call(ast.Name("get", ast.Load()), [ast.Constant(t.question)], [])
                    body.append(_assign(name, call))
                if t not in tests:
                    name = tests[t] = f"t{len(tests)}"
                    value = ast.Name(values[t.question], ast.Load())
                    body.append(_assign(name, t.expression(value, constant)))
        body.append(_assign("out", ast.List([], ast.Load())))
        append = ast.Attribute(ast.Name("out", ast.Load()), "append", ast.Load())
        # A Holds fact has no fields, so it is built without Fact.__init__ (facts.new_fact).
        new = constant(dict.__new__).id
        for conj, cls in self._keys.items():
            make = ast.Call(ast.Name(new, ast.Load()), [constant(cls)], [])
            add = ast.Expr(ast.Call(append, [make], []))
            held = [ast.Name(tests[t], ast.Load()) for t in conj]
            test = held[0] if len(held) == 1 else ast.BoolOp(ast.And(), held)
            body.append(ast.If(test, [add], []))
        body.append(ast.Return(ast.Name("out", ast.Load())))
        args = ast.arguments(
            posonlyargs=[], args=[ast.arg("get")], kwonlyargs=[], kw_defaults=[], defaults=[]
        )
        extra = {"type_params": []} if "type_params" in ast.FunctionDef._fields else {}
        function = ast.FunctionDef("holds", args, body, [], None, **extra)
        module = ast.fix_missing_locations(ast.Module([function], type_ignores=[]))
        self._module, self._source = module, ""
        # The module is built above from validated constants only: compiling it is not
        # evaluating any text from a rule file.
        exec(compile(module, f"<alpha network of {self.name}>", "exec"), namespace)
        return namespace["holds"]


def _assign(name: str, value: ast.expr) -> ast.stmt:
    return ast.Assign([ast.Name(name, ast.Store())], value)


def _is(value: ast.expr, what: Any) -> ast.expr:
    return ast.Compare(value, [ast.Is()], [ast.Constant(what)])


def _is_not(value: ast.expr, what: Any) -> ast.expr:
    return ast.Compare(value, [ast.IsNot()], [ast.Constant(what)])


def _words(t: Test) -> str:
    if t.mode == UNKNOWN or t.condition is None:
        return f"{t.question} is unanswered"
    words = t.condition.words()
    if t._unsure_counts:
        words += " (or unsure)"
    return f"{words} (or unanswered)" if t.mode == POSSIBLE else words
