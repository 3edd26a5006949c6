"""Reading JSON and YAML documents as untrusted input: a duplicate key is an error.

Python's ``json`` and PyYAML both keep the last of two equal keys without a word, so
``{saddle_numbness: yes, saddle_numbness: no}`` would silently read as "no": a red flag lost.
Every reader of case files, rule files and request bodies goes through these functions.

YAML also refuses aliases (a "billion laughs" document expands without bound) and nesting
deeper than ``MAX_DEPTH`` (libyaml's own composer recurses in C and crashes on a document
nested some 50,000 deep; Python's constructor raises ``RecursionError`` far sooner). So
libyaml only parses, when PyYAML has it (its wheels do), and the nodes are composed here, in
Python, where both are checked as each event arrives.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

try:
    from yaml._yaml import CParser  # what yaml.cyaml imports: libyaml's parser

    LIBYAML = True
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    LIBYAML = False

#: Nesting allowed in a YAML document: the rule files need 7 levels, a case 3.
MAX_DEPTH = 64


class DuplicateKeyError(ValueError):
    """A mapping names the same key twice; ``key`` is that key."""

    def __init__(self, key: Any):
        self.key = key
        super().__init__(f"duplicate key {_show(key)}")


def _show(key: Any) -> str:
    try:
        text = repr(key)
    except ValueError:  # an integer of more digits than Python writes
        return "a number too long to show"
    return text if len(text) <= 60 else text[:57] + "..."


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's ``object_pairs_hook``: a key given twice is a ``DuplicateKeyError``."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(key)
            seen.add(key)
    return out


def load_json(text: str | bytes) -> Any:
    """Parse JSON, refusing duplicate keys (``DuplicateKeyError``, a ``ValueError``).

    An integer longer than Python converts (``sys.get_int_max_str_digits()``, 4,300 digits) is
    a ``json.JSONDecodeError`` at its place, as any other fault of the text is.
    """
    try:
        return json.loads(text, object_pairs_hook=unique_keys)
    except (json.JSONDecodeError, DuplicateKeyError):
        raise
    except ValueError as exc:
        if "integer string conversion" not in str(exc):
            raise
        doc = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        limit = sys.get_int_max_str_digits()
        found = re.search(rf"\d{{{limit + 1}}}", doc)
        raise json.JSONDecodeError(
            f"a number of more than {limit:,} digits", doc, found.start() if found else 0
        ) from None


class UniqueKeys:
    """Mixed into a YAML safe loader (before it): a key that a mapping already has is an error."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)  # type: ignore[misc]
        if len(mapping) != len(node.value):  # fewer keys than pairs: some key came twice
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)  # type: ignore[attr-defined]
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"found duplicate key {_show(key)}",
                        key_node.start_mark,
                    )
                seen.add(key)
        return mapping


class Composer:
    """A YAML composer (the step from parser events to nodes) that refuses an alias, and
    nesting deeper than ``MAX_DEPTH``, at the event that shows it.

    It replaces PyYAML's, which is recursive in C under libyaml; without aliases it needs no
    anchors, and the safe loaders have no path resolvers, so it is also leaner.
    """

    _depth = 0

    def check_node(self) -> bool:
        if self.check_event(yaml.StreamStartEvent):  # type: ignore[attr-defined]
            self.get_event()  # type: ignore[attr-defined]
        return not self.check_event(yaml.StreamEndEvent)  # type: ignore[attr-defined]

    def get_node(self) -> Any:
        if not self.check_event(yaml.StreamEndEvent):  # type: ignore[attr-defined]
            return self.compose_document()
        return None

    def get_single_node(self) -> Any:
        self.get_event()  # type: ignore[attr-defined]  # the stream's start
        document = None
        if not self.check_event(yaml.StreamEndEvent):  # type: ignore[attr-defined]
            document = self.compose_document()
        if not self.check_event(yaml.StreamEndEvent):  # type: ignore[attr-defined]
            event = self.get_event()  # type: ignore[attr-defined]
            raise ComposerError(
                "expected a single document in the stream",
                document.start_mark if document is not None else None,
                "but found another document",
                event.start_mark,
            )
        self.get_event()  # type: ignore[attr-defined]  # the stream's end
        return document

    def compose_document(self) -> Any:
        self.get_event()  # type: ignore[attr-defined]  # the document's start
        node = self.compose_node(None, None)
        self.get_event()  # type: ignore[attr-defined]  # the document's end
        return node

    def compose_node(self, parent: Any, index: Any) -> Any:
        return self._compose(self.get_event())  # type: ignore[attr-defined]

    def _compose(self, event: Any) -> Any:
        """The node that starts with ``event`` (already taken from the parser)."""
        kind = type(event)
        if kind is yaml.ScalarEvent:
            tag = event.tag
            if tag is None or tag == "!":
                tag = self.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[attr-defined]
            return yaml.ScalarNode(
                tag, event.value, event.start_mark, event.end_mark, style=event.style
            )
        if kind is yaml.AliasEvent:
            raise ComposerError(None, None, "YAML aliases are not allowed", event.start_mark)
        if self._depth >= MAX_DEPTH:
            raise ComposerError(
                None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark
            )
        self._depth += 1
        get = self.get_event  # type: ignore[attr-defined]
        tag = event.tag
        node: yaml.CollectionNode
        if kind is yaml.SequenceStartEvent:
            if tag is None or tag == "!":
                tag = self.resolve(yaml.SequenceNode, None, event.implicit)  # type: ignore[attr-defined]
            node = yaml.SequenceNode(tag, [], event.start_mark, None, flow_style=event.flow_style)
            items = node.value
            event = get()
            while type(event) is not yaml.SequenceEndEvent:
                items.append(self._compose(event))
                event = get()
        else:  # a mapping
            if tag is None or tag == "!":
                tag = self.resolve(yaml.MappingNode, None, event.implicit)  # type: ignore[attr-defined]
            node = yaml.MappingNode(tag, [], event.start_mark, None, flow_style=event.flow_style)
            pairs = node.value
            event = get()
            while type(event) is not yaml.MappingEndEvent:
                key = self._compose(event)
                pairs.append((key, self._compose(get())))
                event = get()
        node.end_mark = event.end_mark
        self._depth -= 1
        return node


if LIBYAML:

    class SafeLoader(UniqueKeys, Composer, CParser, SafeConstructor, Resolver):
        """The safe loader: libyaml parses, Python composes (see the module's docstring);
        duplicate keys, aliases and deep nesting are refused."""

        def __init__(self, stream: Any):
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

else:  # pragma: no cover
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class SafeLoader(  # type: ignore[no-redef]
        UniqueKeys, Composer, Reader, Scanner, Parser, SafeConstructor, Resolver
    ):
        """The safe loader, pure Python; duplicate keys, aliases and deep nesting are refused."""

        def __init__(self, stream: Any):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
