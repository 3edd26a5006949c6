"""experta's RETE matcher with its per-case bookkeeping trimmed, the network left as built.

experta builds one network per engine and reuses it for every case, but some of its habits
cost more than the matching itself when one engine evaluates thousands of small cases:

- ``reset()`` walks the network recursively (logging each node) to clear memories that only
  the two-input and conflict-set nodes have;
- every working-memory change asks *every* conflict-set node for its new activations, although
  only the few a token reached have any;
- every node copies the token it receives, building it through a constructor that re-checks
  its types, although only a feature test that binds a variable ever changes a token;
- every fact is offered to the type test of every fact class, and every feature test logs
  and re-parses its field path.

``LeanReteMatcher`` keeps experta's network, nodes, algorithm and activations; it resets only
the nodes with memory, polls only the conflict-set nodes that a token reached, copies a token
only where its context changes, sends a fact only to the tests for its class, and calls
plain field tests directly. A pattern's fact bound under experta's generated name, which no
right-hand side receives, is not bound where the pattern is its rule's only one (the
activation's one fact says the same), and such a rule's conflict set gets a new fact of its
type straight from the matcher, as the token of that fact alone it would have received.
``tests/test_matcher.py`` checks that it fires the same rules, in the same order, with the
same facts, as experta's own ``ReteMatcher``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from experta.activation import Activation
from experta.fact import Fact
from experta.matchers.rete import ReteMatcher
from experta.matchers.rete import nodes as rete
from experta.matchers.rete.abstract import Node
from experta.matchers.rete.check import FactCapture, FeatureCheck, TypeCheck
from experta.matchers.rete.mixins import ChildNode, NoMemory
from experta.matchers.rete.token import Token, TokenInfo


class _Token(Token):
    """A token built without re-checking the types of what experta itself passes in."""

    __slots__ = ()

    def __new__(cls, tag: Any, data: Any, context: Any = None) -> _Token:
        data = {data} if isinstance(data, Fact) else set(data)
        return tuple.__new__(cls, (tag, data, {} if context is None else context))

    def copy(self) -> _Token:
        return tuple.__new__(_Token, (self.tag, set(self.data), dict(self.context)))


class _Bus(rete.BusNode):
    """The root: sends each working-memory change, as a lean token, to the nodes for its type.

    Its children are type tests (``type(fact) == T``), so a fact goes straight past the one
    for its own type to the nodes after it; any other kind of child still gets every fact.
    """

    by_type: dict[type, list[ChildNode]]

    def route(self) -> None:
        """Route each fact type straight to what follows its type tests, keeping the order.

        A type test passes every fact of its type and nothing else, and the root sends a
        fact only to the tests for its own type, so the tests themselves can be skipped.
        """
        routes: dict[type, list[ChildNode]] = {}
        self.others = []
        for child in self.children:
            check = getattr(child.node, "matcher", None)
            if isinstance(check, TypeCheck) and not isinstance(child.node, _Memory):
                kids = routes.setdefault(check.fact_type, [])
                for kid in child.node.children:  # a capture nothing reads passes every fact
                    kids.extend(kid.node.children if isinstance(kid.node, _Pass) else [kid])
            else:
                self.others.append(child)
        self.by_type = {t: kids + self.others for t, kids in routes.items()}
        # Where a type leads straight to rules of one pattern, the new fact goes to their
        # conflict sets as itself: the token they would get holds that fact and nothing else.
        self.direct = {
            t: [kid.node.add_fact for kid in kids]
            for t, kids in self.by_type.items()
            if kids and all(isinstance(kid.node, _ConflictSet) for kid in kids)
        }

    def add(self, fact: Any) -> None:
        direct = self.direct.get(type(fact))
        if direct is not None:
            for add_fact in direct:
                add_fact(fact)
            return
        token = tuple.__new__(_Token, (_VALID, {fact}, {}))
        for child in self.by_type.get(type(fact), self.others):
            child.callback(token)

    def remove(self, fact: Any) -> None:
        token = _Token.invalid(fact)
        for child in self.by_type.get(type(fact), self.others):
            child.callback(token)


class _FeatureTester(rete.FeatureTesterNode):
    """A one-input test; it copies the token only when the test binds a variable."""

    test: Callable[[Any], Any]

    def activate(self, token: Any) -> None:  # no defensive copy: _activate copies on write
        (fact,) = token.data
        match = self.test(fact)
        if not match:
            return
        if isinstance(match, Mapping):
            context = token.context
            for key, value in match.items():
                if isinstance(key, tuple):  # a negated binding
                    if key[1] in context and context[key[1]] == value:
                        return
                elif context.get(key, value) != value or (
                    (False, key) in context and context[(False, key)] == value
                ):
                    return
            token = token.copy()
            token.context.update(match)
        for child in self.children:
            child.callback(token)


class _Pass(_FeatureTester):
    """A pattern's capture of its fact under experta's generated name, where nothing reads it.

    experta binds every pattern's fact in the token's context, under ``__pattern_<id>__``
    unless the pattern names it. A right-hand side never receives such a name (experta's
    run loop drops names starting ``__``), and where the capture leads straight to rules of
    one pattern (conflict-set nodes only), the activation's single fact is that very fact:
    the binding tells no activation apart and no join reads it. Such a node passes the
    token on unchanged, sparing a copy of it per fact; the root skips it altogether.
    """

    def activate(self, token: Any) -> None:
        for child in self.children:
            child.callback(token)


class _Memory:
    """A node with memory, listed in ``touched`` the first time a token reaches it after a
    reset, so that the next reset wipes only the memories a case has used."""

    touched: list[Any]
    stale = False

    if TYPE_CHECKING:  # each node class has experta's own (or its lean class's)

        def _reset(self) -> None: ...

    def _touch(self) -> None:
        self.stale = True
        self.touched.append(self)


class _ConflictSet(_Memory, rete.ConflictSetNode):
    """A terminal node that tells the matcher when it holds new (de)activations.

    It keeps experta's memory and activations, keyed by the token's facts and bindings
    computed once, where experta builds a ``TokenInfo`` and an ``Activation`` for every token
    and hashes the activation (every fact, every binding) up to twice. Pending (de)activations
    are dicts from that key to the ``Activation``, so one that is undone before it is seen
    cancels out, as experta's sets do; a withdrawn activation is the very object that was
    added, so the agenda finds it without comparing every fact and binding.
    """

    dirty: list[rete.ConflictSetNode]
    memory: dict[Any, Activation]
    pending: dict[Any, Activation]
    withdrawn: dict[Any, Activation]

    def _reset(self) -> None:
        self.memory = {}  # key -> the Activation it gave, withdrawn as that very object
        self.pending, self.withdrawn = {}, {}

    def add_fact(self, fact: Any) -> None:
        """``activate`` for a VALID token of ``fact`` alone, without bindings."""
        if not self.stale:
            self.stale = True
            self.touched.append(self)
        key = (frozenset((fact,)), _NO_CONTEXT)
        if key in self.memory:
            return
        if not (self.pending or self.withdrawn):
            self.dirty.append(self)
        activation = self.withdrawn.pop(key, None) if self.withdrawn else None
        if activation is None:
            activation = self.pending[key] = Activation(self.rule, key[0], {})
        self.memory[key] = activation

    def activate(self, token: Any) -> None:
        if not self.stale:
            self._touch()
        if not (self.pending or self.withdrawn):
            self.dirty.append(self)
        data = frozenset(token.data)
        context = token.context
        key = (data, frozenset(context.items())) if context else (data, _NO_CONTEXT)
        if token.tag is _VALID:
            if key in self.memory:
                return
            activation = self.withdrawn.pop(key, None)
            if activation is None:
                activation = self.pending[key] = Activation(self.rule, data, _bindings(context))
            self.memory[key] = activation
        else:
            activation = self.memory.pop(key, None)
            if activation is not None and self.pending.pop(key, None) is None:
                self.withdrawn[key] = activation

    def get_activations(self) -> tuple[list[Activation], list[Activation]]:
        res = list(self.pending.values()), list(self.withdrawn.values())
        self.pending, self.withdrawn = {}, {}
        return res


_NO_CONTEXT: frozenset[Any] = frozenset()
_VALID = Token.TagType.VALID
_INVALID = Token.TagType.INVALID


def _bindings(context: Mapping[Any, Any]) -> dict[str, Any]:
    """The variables an activation passes to its rule (negated bindings are tuple keys)."""
    return {k: v for k, v in context.items() if type(k) is str}


class _Where(rete.WhereNode):
    def activate(self, token: Any) -> None:
        self._activate(token)


class _Ordinary(_Memory, rete.OrdinaryMatchNode):
    def activate_left(self, token: Any) -> None:
        if not self.stale:
            self._touch()
        self._activate_left(token)

    def activate_right(self, token: Any) -> None:
        if not self.stale:
            self._touch()
        self._activate_right(token)


class _Not(_Memory, rete.NotNode):
    """experta's NotNode, with its token snapshots and new tokens built directly.

    The need rules' verdict gates are such nodes, one per need rule: every Verdict passes
    through each of them, and experta builds each snapshot and token through constructors
    that re-check every fact's type. The counting is experta's, step for step.
    """

    def activate_left(self, token: Any) -> None:
        if not self.stale:
            self._touch()
        info = _info(token)
        if not self.right_memory:
            if token.tag is _VALID:
                self.left_memory[info] = 0
            else:
                del self.left_memory[info]
            for child in self.children:
                child.callback(token)
            return
        matcher, context = self.matcher, token.context
        count = 0
        for _, right_context in self.right_memory:
            if matcher(context, dict(right_context)):
                count += 1
                if token.tag is not _VALID:
                    break
        if count == 0:
            for child in self.children:
                child.callback(token)
        if token.tag is _VALID:
            self.left_memory[info] = count
        else:
            del self.left_memory[info]

    def activate_right(self, token: Any) -> None:
        if not self.stale:
            self._touch()
        if token.tag is _VALID:
            self.right_memory.append(_info(token))
            inc = 1
        else:
            inc = -1
            self.right_memory.remove(_info(token))
        matcher, context, memory = self.matcher, token.context, self.left_memory
        for left in memory:
            if matcher(dict(left.context), context):
                count = memory[left] = memory[left] + inc
                if count == 0 and inc == -1:
                    tag = _VALID
                elif count == 1 and inc == 1:
                    tag = _INVALID
                else:
                    continue
                new = tuple.__new__(_Token, (tag, set(left.data), dict(left.context)))
                for child in self.children:
                    child.callback(new)


def _info(token: Any) -> TokenInfo:
    """``token.to_info()``: the token's facts and bindings as a hashable snapshot."""
    return tuple.__new__(TokenInfo, (frozenset(token.data), frozenset(token.context.items())))


# Node classes whose stock methods never change a token they receive (each checked against
# experta 1.9.4's nodes.py: they read it, store ``to_info()`` snapshots, or build new tokens),
# so the defensive copy on every activation can go.
_LEAN = {
    rete.FeatureTesterNode: _FeatureTester,
    rete.ConflictSetNode: _ConflictSet,
    rete.WhereNode: _Where,
    rete.OrdinaryMatchNode: _Ordinary,
    rete.NotNode: _Not,
}


class LeanReteMatcher(ReteMatcher):
    """experta's RETE matcher, resetting and polling only the nodes that need it."""

    def __init__(self, engine: Any):
        self.engine = engine
        self.root_node = _Bus()
        self.build_network()
        self._dirty: list[rete.ConflictSetNode] = []
        self._touched: list[_Memory] = []
        nodes = list(_walk(self.root_node))
        for node in nodes:
            lean = _LEAN.get(type(node))
            if lean is None and type(node) is not rete.BusNode and type(node) is not _Bus:
                raise TypeError(f"unexpected RETE node {type(node).__name__}")
            if lean is not None:
                node.__class__ = lean
            if isinstance(node, _ConflictSet):
                node.dirty = self._dirty
            if isinstance(node, _Memory):
                node.touched = self._touched
                node._reset()
            if isinstance(node, _FeatureTester):
                node.test = _direct(node.matcher)
                if _unread(node):
                    node.__class__ = _Pass
        for node in nodes:  # re-bind each child's callback to the lean class's method
            node.children[:] = [
                ChildNode(c.node, getattr(c.node, c.callback.__name__)) for c in node.children
            ]
        self.root_node.route()
        memories = [n for n in nodes if type(n)._reset is not NoMemory._reset]
        if any(not isinstance(n, _Memory) for n in memories):
            raise TypeError("a RETE node with memory that does not say when it is used")

    def reads_fields(self, fact_type: type) -> bool:
        """Whether any pattern tests or binds a field of ``fact_type`` (else every pattern
        on such facts only asks whether one exists, and any one is as good as another)."""
        if self.root_node.others:
            return True  # a node that sees every fact, whatever it tests
        stack = [c.node for c in self.root_node.by_type.get(fact_type, [])]
        while stack:
            node = stack.pop()
            if not isinstance(node, rete.FeatureTesterNode):
                continue  # a join or a conflict set: past the pattern's own tests
            if not isinstance(node.matcher, FactCapture):
                return True
            stack.extend(c.node for c in node.children)
        return False

    def reset(self) -> None:
        for node in self._touched:
            node._reset()
            node.stale = False
        self._touched.clear()
        self._dirty.clear()

    def changes(self, adding: Any = None, deleting: Any = None) -> tuple[list[Any], list[Any]]:
        if deleting is not None:
            for fact in deleting:
                self.root_node.remove(fact)
        if adding is not None:
            root = self.root_node
            direct = root.direct
            for fact in adding:
                to = direct.get(type(fact))
                if to is None:
                    root.add(fact)
                else:  # root.add's own first branch, without a call per fact
                    for add_fact in to:
                        add_fact(fact)
        added: list[Any] = []
        removed: list[Any] = []
        for csn in self._dirty:  # each node's get_activations(), without the lists between
            if csn.pending:
                added.extend(csn.pending.values())
                csn.pending = {}
            if csn.withdrawn:
                removed.extend(csn.withdrawn.values())
                csn.withdrawn = {}
        self._dirty.clear()
        return added, removed


def _unread(node: rete.FeatureTesterNode) -> bool:
    """Whether ``node`` binds a fact under a generated name for single-pattern rules only."""
    check = node.matcher
    return (
        isinstance(check, FactCapture)
        and isinstance(check.bind, str)
        and check.bind.startswith("__")
        and bool(node.children)
        and all(isinstance(c.node, rete.ConflictSetNode) for c in node.children)
    )


def _direct(check: Any) -> Callable[[Any], Any]:
    """The same test as ``check``, without the logging and field-path parsing around it.

    A ``FactCapture`` (every pattern has one, naming its fact) returns the same binding.
    A ``FeatureCheck`` on a plain field name (no ``__`` path, not a position) reads that field
    and applies its check function, exactly as ``FeatureCheck.__call__`` does; anything else
    keeps experta's own call.
    """
    if isinstance(check, FactCapture):  # binds the fact to the pattern's name
        bind = check.bind
        return lambda fact: {bind: fact}
    what = getattr(check, "what", None)
    if (
        not isinstance(check, FeatureCheck)
        or not isinstance(what, str)
        or "__" in what
        or what.isnumeric()
    ):
        own: Callable[[Any], Any] = check
        return own
    function, expected = check.check, check.expected

    def direct(fact: Any) -> Any:
        try:
            value = fact[what]
        except (IndexError, KeyError, TypeError):
            return False
        return function(value, expected)

    return direct


def _walk(root: Node) -> Iterator[Node]:
    """Every node reachable from ``root`` once, depth first in child order."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        stack.extend(reversed([c.node for c in node.children]))
