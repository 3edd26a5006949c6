"""The fact types the compiled rules reason over, and a lean way to build and declare them."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, TypeVar

from experta import Fact
from experta.factlist import FactList as _StockFactList

F = TypeVar("F", bound=Fact)


class Answers(Fact):
    """The case: one slot per question id, holding its answer or ``None`` when unanswered."""


class Holds(Fact):
    """The answer conditions of one compiled rule hold; each conjunction has its own subclass
    (see alpha.py), so the network routes the fact by its type alone."""


class Finding(Fact):
    """A derived fact concluded by one rule and read by others (``name``, ``rule``)."""


class Trigger(Fact):
    """A trigger met only by reading ``unsure`` answers as yes; a resolution rule softens it."""


class Verdict(Fact):
    """A disposition concluded by a rule: ``rule``, ``rank``, ``via`` (a softening rule)."""


class Need(Fact):
    """A rule that could still change the outcome needs the answer to question ``q``."""


def new_fact(cls: type[F], **values: Any) -> F:
    """A fact of a field-less class, built without ``Fact.__init__``.

    ``Fact.__init__`` passes every value through experta's ``freeze()``, which leaves an
    already hashable value as it is; the engine only ever builds these facts from strings,
    numbers and tuples of strings, so the values go in directly.
    """
    fact = dict.__new__(cls)
    dict.update(fact, values)
    return fact


class FactList(_StockFactList):
    """experta's fact list, declaring the engine's own facts without what they never need.

    Stock ``declare`` validates the fact's fields (these classes declare none), builds its
    identity as a frozenset of the class and every item, and formats a log line. Here the
    identity is a pair of the class and the items. The fact's hash is its index, stored at
    once: a fact equals another only with the same index (``__factid__`` is one of its
    items), so equal facts hash alike, without the frozenset of every item that experta
    hashes on first use. Duplicates are still declared only once, as experta does. It holds
    only facts the engine builds: field-less classes, no ``__bind__`` or other special keys.
    """

    last_index: int  # experta's, set in __init__

    def __init__(self) -> None:
        # experta's attributes, with a plain dict as the reference counter: a fact is
        # counted here only once it is in it (experta's Counter reads 0 for one that is not).
        OrderedDict.__init__(self)
        self.last_index = 0
        self.reference_counter: dict[Any, int] = {}
        self.added: list[Fact] = []
        self.removed: list[Fact] = []
        self.duplication = False

    @staticmethod
    def _get_fact_id(fact: Fact) -> Any:
        items = dict.items(fact)
        return type(fact), frozenset(i for i in items if not Fact.is_special(i[0]))

    def declare(self, fact: Fact) -> Fact | None:
        fact_id = (type(fact), frozenset(dict.items(fact)))
        counter = self.reference_counter
        if fact_id in counter:
            if not self.duplication:
                return None
            counter[fact_id] += 1
        else:
            counter[fact_id] = 1
        idx = self.last_index
        dict.__setitem__(fact, "__factid__", idx)
        fact._hash = hash(idx)
        self[idx] = fact
        self.last_index = idx + 1
        self.added.append(fact)
        return fact
