"""A conflict-resolution strategy for experta: salience first, then the newest facts.

It orders activations exactly as experta's ``DepthStrategy`` does, but computes each key
directly instead of through an ``lru_cache`` keyed on the activation, whose hashing and
equality checks (every fact of every activation) were a fifth of the time of an evaluation.
"""

from __future__ import annotations

import bisect
from operator import attrgetter
from typing import Any

from experta.abstract import Strategy


def _key(activation: Any) -> tuple[int, list[int]]:
    ids = [f["__factid__"] for f in activation.facts]
    if len(ids) > 1:
        ids.sort(reverse=True)
    return activation.rule.salience, ids


_BY_KEY = attrgetter("key")


class SalienceStrategy(Strategy):
    """Depth-first by salience, like DepthStrategy; deterministic for distinct saliences."""

    def _update_agenda(self, agenda: Any, added: Any, removed: Any) -> None:
        activations = agenda.activations
        for act in removed:
            key = act.key = _key(act)
            i = bisect.bisect_left(activations, key, key=_BY_KEY)
            while i < len(activations) and activations[i].key == key:
                if activations[i] is act or activations[i] == act:
                    del activations[i]
                    break
                i += 1
        if added:
            # What inserting each in turn after its equals (bisect.insort) gives, as one
            # stable sort of the keys: the list is already in order, the new ones at its end.
            for act in added:
                act.key = _key(act)
            activations.extend(added)
            activations.sort(key=_BY_KEY)
