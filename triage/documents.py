"""Reading JSON and YAML documents as untrusted input: a duplicate key is an error.

Python's ``json`` and PyYAML both keep the last of two equal keys without a word, so
``{saddle_numbness: yes, saddle_numbness: no}`` would silently read as "no": a red flag lost.
Every reader of case files, rule files and request bodies goes through these functions.
"""

from __future__ import annotations

import json
from typing import Any

import yaml


class DuplicateKeyError(ValueError):
    """A mapping names the same key twice; ``key`` is that key."""

    def __init__(self, key: Any):
        self.key = key
        super().__init__(f"duplicate key {_show(key)}")


def _show(key: Any) -> str:
    text = repr(key)
    return text if len(text) <= 60 else text[:57] + "..."


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(key)
            seen.add(key)
    return out


def load_json(text: str | bytes) -> Any:
    """Parse JSON, refusing duplicate keys (``DuplicateKeyError``, a ``ValueError``)."""
    return json.loads(text, object_pairs_hook=_pairs)


class UniqueKeys:
    """Mixed into a YAML safe loader (before it): a key that a mapping already has is an error."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:  # an unhashable key: the base class reports it
                    continue
                if duplicate:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"found duplicate key {_show(key)}",
                        key_node.start_mark,
                    )
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]
