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

The need rules' conjunctions (what an interview may still ask) are *grouped*: a group is one
need rule's pattern, and its fact, declared when any member's conjunction holds, carries the
payloads of the members that do (``held``). They come from a second function, which the
engine runs only once the conclusions are in (see engine.py), so that a need is never added
to the agenda only to be withdrawn by a verdict.

The code is built as a Python AST from parsed, validated conditions (``conditions.py``): a
question id or an answer value only ever appears as a constant, and no rule text is ever
evaluated. ``Test.interpret`` is the same test read directly from the condition; the tests
check the compiled function against it, and the engine can run on it instead
(``compile_rulebase(..., alpha=False)``), as experta field tests on the ``Answers`` fact.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .conditions import Condition
from .derived import Derived
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
        if c.test in ("is", "in", "answered"):
            values = (*c.values, "unsure") if self._unsure_counts else c.values
            if len(values) == 1:
                return ast.Compare(value, [ast.Eq()], [ast.Constant(values[0])])
            return ast.Compare(value, [ast.In()], [ast.Constant(tuple(values))])
        if c.test == "not_in":  # an unanswered question reads as "no"
            outside = ast.Compare(value, [ast.NotIn()], [ast.Constant(tuple(c.values))])
            if "no" not in c.values:
                return outside  # None is outside too, as "no" is
            return ast.BoolOp(ast.And(), [_is_not(value, None), outside])
        if c.test == "other_than":  # an unanswered question meets it
            return ast.Compare(value, [ast.NotIn()], [ast.Constant(tuple(c.values))])
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

    def __init__(self, name: str = "rule base", derived: Mapping[str, Derived] | None = None):
        self.name = name
        self.derived = dict(derived or {})  # a test's subject may be one of these
        self._keys: dict[tuple[Test, ...], type[Holds]] = {}
        self._groups: dict[type[Holds], list[tuple[tuple[Test, ...], Hashable]]] = {}
        self._compiled: Callable[[Callable[[str], Any]], list[Holds]] | None = None
        self._compiled_groups: Callable[[Callable[[str], Any]], list[Holds]] | None = None
        self._module: ast.Module | None = None
        self._group_module: ast.Module | None = None
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

    def group(self, members: Iterable[tuple[Iterable[Test], Hashable]], label: str) -> type[Holds]:
        """A new fact class for a group of conjunctions, each with its payload: its fact
        holds ``held``, the payloads of the members whose conjunction holds (in order)."""
        self._compiled_groups = None
        listed = [(tuple(dict.fromkeys(tests)), payload) for tests, payload in members]
        words = "; or ".join(" and ".join(_words(t) for t in conj) for conj, _ in listed)
        cls = type(f"Holds_{label}", (Holds,), {"__doc__": f"Holds for any of: {words}."})
        self._groups[cls] = listed
        return cls

    @property
    def conjunctions(self) -> dict[tuple[Test, ...], type[Holds]]:
        return dict(self._keys)

    @property
    def groups(self) -> dict[type[Holds], list[tuple[tuple[Test, ...], Hashable]]]:
        return {cls: list(members) for cls, members in self._groups.items()}

    def compile(self) -> None:
        """Generate the function now, once all conjunctions are registered: afterwards
        ``facts`` reads nothing that changes, so threads may share the network."""
        if self._compiled is None:
            self._compiled = self._compile()
        if self._compiled_groups is None:
            self._compiled_groups = self._compile_groups()

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
            if all(t.interpret(self.value(answers, t.question)) for t in conj)
        ]

    def group_facts(self, answers: Mapping[str, Any]) -> list[Holds]:
        """The facts of the groups with a member that holds, in registration order."""
        compiled = self._compiled_groups
        if compiled is None:
            compiled = self._compiled_groups = self._compile_groups()
        return compiled(answers.get)

    def interpret_groups(self, answers: Mapping[str, Any]) -> list[Holds]:
        """The same group facts, each test read from its condition (the reference)."""
        out = []
        for cls, members in self._groups.items():
            held = tuple(
                payload
                for conj, payload in members
                if all(t.interpret(self.value(answers, t.question)) for t in conj)
            )
            if held:
                out.append(_group_fact(cls, held))
        return out

    def value(self, answers: Mapping[str, Any], subject: str) -> Any:
        """A question's answer, or a derived value read from its data (the reference)."""
        d = self.derived.get(subject)
        return answers.get(subject) if d is None else d.value(answers, self.derived)

    @property
    def source(self) -> str:
        """The generated function as Python source, for reviewers and tests."""
        if self._compiled is None:
            self._compiled = self._compile()
        if not self._source:  # made only when asked for: it costs as much as compiling
            self._source = ast.unparse(self._module) if self._module else ""
        return self._source

    @property
    def group_source(self) -> str:
        """The generated function for the groups (the need rules), as Python source."""
        if self._compiled_groups is None:
            self._compiled_groups = self._compile_groups()
        return ast.unparse(self._group_module) if self._group_module else ""

    def _compile(self) -> Callable[[Callable[[str], Any]], list[Holds]]:
        """Generate, compile and return ``holds(get) -> [Holds facts]``.

        Each question read gets a local (``v0 = get('fever')``), each distinct test a local
        (``t3 = v0 == 'yes'``), and each conjunction an ``if`` that appends its fact.
        """
        code = _Code(self)
        code.tests(self._keys)
        out = code.body
        out.append(_assign("out", ast.List([], ast.Load())))
        append = ast.Attribute(ast.Name("out", ast.Load()), "append", ast.Load())
        # A Holds fact has no fields, so it is built without Fact.__init__ (facts.new_fact).
        new = code.constant(dict.__new__).id
        for conj, cls in self._keys.items():
            make = ast.Call(ast.Name(new, ast.Load()), [code.constant(cls)], [])
            out.append(ast.If(code.all(conj), [ast.Expr(ast.Call(append, [make], []))], []))
        out.append(ast.Return(ast.Name("out", ast.Load())))
        self._module, self._source = code.module("holds"), ""
        return code.function(self._module, "holds")

    def _compile_groups(self) -> Callable[[Callable[[str], Any]], list[Holds]]:
        """Generate ``groups(get) -> [group facts]``: per group, a list of the payloads of
        the members that hold (``h = []``, ``if t1 and t4: h.append(c9)``), and its fact
        when that list is not empty."""
        code = _Code(self)
        code.tests(conj for members in self._groups.values() for conj, _ in members)
        out = code.body
        out.append(_assign("out", ast.List([], ast.Load())))
        append = ast.Attribute(ast.Name("out", ast.Load()), "append", ast.Load())
        held = ast.Attribute(ast.Name("h", ast.Load()), "append", ast.Load())
        new = code.constant(_group_fact).id
        for cls, members in self._groups.items():
            out.append(_assign("h", ast.List([], ast.Load())))
            for conj, payload in members:
                add = ast.Expr(ast.Call(held, [code.constant(payload)], []))
                out.append(ast.If(code.all(conj), [add], []))
            make = ast.Call(
                ast.Name(new, ast.Load()), [code.constant(cls), ast.Name("h", ast.Load())], []
            )
            out.append(
                ast.If(ast.Name("h", ast.Load()), [ast.Expr(ast.Call(append, [make], []))], [])
            )
        out.append(ast.Return(ast.Name("out", ast.Load())))
        self._group_module = code.module("groups")
        return code.function(self._group_module, "groups")

    def _sum(
        self,
        d: Derived,
        subject: Callable[[str], str],
        constant: Callable[[Any], ast.expr],
    ) -> ast.expr:
        """``None if <a read answer is None> else 0 + term + ...``, in ``Derived.value``'s
        order of operations, so that both give the same number."""
        unknown = [_is(ast.Name(subject(q), ast.Load()), None) for q in d.reads]
        total: ast.expr = ast.Constant(0)
        for term in d.terms:
            if term.kind == "number":
                v = ast.Name(subject(term.question), ast.Load())
                scaled = ast.BinOp(
                    ast.BinOp(v, ast.Mult(), ast.Constant(term.times)),
                    ast.Div(),
                    ast.Constant(term.per),
                )
            elif term.kind == "count":
                v = ast.Name(subject(term.question), ast.Load())
                scaled = ast.Call(constant(len), [v], [])
            else:
                c = term.condition
                assert c is not None
                key = c.question if c.kind == "answer" and c.question else c.name
                v = ast.Name(subject(key), ast.Load())
                holds = Test(key, DEFINITE, c).expression(v, constant)
                scaled = ast.IfExp(holds, ast.Constant(1), ast.Constant(0))
            total = ast.BinOp(total, ast.Add(), scaled)
        if not unknown:
            return total
        test = unknown[0] if len(unknown) == 1 else ast.BoolOp(ast.Or(), unknown)
        return ast.IfExp(test, ast.Constant(None), total)


class _Code:
    """The body of one generated function: a local per answer read and per distinct test."""

    def __init__(self, network: AlphaNetwork):
        self.network = network
        self.namespace: dict[str, Any] = {}
        self.values: dict[str, str] = {}
        self.names: dict[Test, str] = {}
        self.body: list[ast.stmt] = []

    def constant(self, value: Any) -> ast.Name:
        name = f"c{len(self.namespace)}"
        self.namespace[name] = value
        return ast.Name(name, ast.Load())

    def subject(self, key: str) -> str:
        """The local holding an answer or a derived value, assigned on first use."""
        if key in self.values:
            return self.values[key]
        d = self.network.derived.get(key)
        if d is None:
            name = self.values[key] = f"v{len(self.values)}"
            call = ast.Call(ast.Name("get", ast.Load()), [ast.Constant(key)], [])
            self.body.append(_assign(name, call))
            return name
        expr = self.network._sum(d, self.subject, self.constant)
        name = self.values[key] = f"d{len(self.values)}"
        self.body.append(_assign(name, expr))
        return name

    def tests(self, conjunctions: Iterable[tuple[Test, ...]]) -> None:
        for conj in conjunctions:
            for t in conj:
                self.subject(t.question)
                if t not in self.names:
                    name = self.names[t] = f"t{len(self.names)}"
                    value = ast.Name(self.values[t.question], ast.Load())
                    self.body.append(_assign(name, t.expression(value, self.constant)))

    def all(self, conj: tuple[Test, ...]) -> ast.expr:
        held = [ast.Name(self.names[t], ast.Load()) for t in conj]
        return held[0] if len(held) == 1 else ast.BoolOp(ast.And(), held)

    def module(self, name: str) -> ast.Module:
        args = ast.arguments(
            posonlyargs=[], args=[ast.arg("get")], kwonlyargs=[], kw_defaults=[], defaults=[]
        )
        extra = {"type_params": []} if "type_params" in ast.FunctionDef._fields else {}
        function = ast.FunctionDef(name, args, self.body, [], None, **extra)
        return ast.fix_missing_locations(ast.Module([function], type_ignores=[]))

    def function(self, module: ast.Module, name: str) -> Any:
        # The module is built from validated constants only: compiling it is not evaluating
        # any text from a rule file.
        label = f"<alpha network of {self.network.name}>"
        exec(compile(module, label, "exec"), self.namespace)
        return self.namespace[name]


def _group_fact(cls: type[Holds], held: Iterable[Hashable]) -> Holds:
    """A group's fact with the payloads that hold, built without Fact.__init__."""
    fact = dict.__new__(cls)
    dict.__setitem__(fact, "held", tuple(held))
    return fact


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
