"""A screen page of the web interview read as a browser sees it: the questions its form asks,
the answers it carries and the values it shows. Tests answer what the page asks from a table
by question id, so they follow the rule base's order of screens instead of hard-coding it."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from typing import Any

# What a person answers when a test does not say: a calm adult's lower-back ache (as CALM in
# conftest). Any other question gets a default for its kind of input (see ``fields``).
ANSWERS: dict[str, Any] = {
    "age": 34,
    "location": "lower_back",
    "severity": 3,
    "duration_weeks": 1,
    "sensations": ["ache"],
}


class _Inputs(HTMLParser):
    """Every ``<input>`` of a page, with its attributes, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            self.found.append(dict(attrs))


def inputs(page: str) -> list[dict[str, str | None]]:
    """The page's inputs, each as its attributes (``checked`` present when it is checked)."""
    parser = _Inputs()
    parser.feed(page)
    return parser.found


def questions(page: str) -> dict[str, str]:
    """The question ids the page's form asks, in order, each with its input's type: ``radio``
    (yes/no or one choice), ``checkbox`` (choose any) or ``number``."""
    asked: dict[str, str] = {}
    for attrs in inputs(page):
        name = attrs.get("name") or ""
        if name.startswith("q."):
            asked.setdefault(name[2:], attrs.get("type") or "text")
    return asked


def options(page: str, qid: str) -> list[str]:
    """The values a radio or checkbox question offers."""
    return [str(a.get("value")) for a in inputs(page) if a.get("name") == f"q.{qid}"]


def shown(page: str) -> dict[str, list[str]]:
    """What the page's form has chosen or typed for each question (none: not listed)."""
    values: dict[str, list[str]] = {}
    for attrs in inputs(page):
        name = attrs.get("name") or ""
        if not name.startswith("q."):
            continue
        if attrs.get("type") in ("radio", "checkbox"):
            if "checked" in attrs:
                values.setdefault(name[2:], []).append(str(attrs.get("value")))
        elif attrs.get("value"):
            values.setdefault(name[2:], []).append(str(attrs["value"]))
    return values


def hidden_answers(page: str) -> dict:
    """The answers the page's form carries (those before its screen)."""
    match = re.search(r'name="answers" value="([^"]*)"', page)
    assert match, "no hidden answers on the page"
    return json.loads(html.unescape(match.group(1)))


def _form_value(value: Any) -> str | list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return str(value)


def fields(page: str, wanted: dict[str, Any] | None = None) -> dict[str, str | list[str]]:
    """What a person sends for each question the page asks: from ``wanted``, else ``ANSWERS``,
    else no to a yes/no, no box ticked, the first choice, or the smallest number allowed."""
    table = {**ANSWERS, **(wanted or {})}
    sent: dict[str, str | list[str]] = {}
    for qid, kind in questions(page).items():
        if qid in table:
            sent[qid] = _form_value(table[qid])
        elif kind == "checkbox":
            sent[qid] = []
        elif kind == "radio":
            offered = options(page, qid)
            sent[qid] = "no" if "no" in offered else offered[0]
        else:
            low = next(a.get("min") for a in inputs(page) if a.get("name") == f"q.{qid}")
            sent[qid] = low or "0"
    return sent


def as_answers(sent: dict[str, str | list[str]], page: str) -> dict[str, Any]:
    """The answers (as the page's hidden field carries them) that ``sent`` gives."""
    kinds = questions(page)
    out: dict[str, Any] = {}
    for qid, value in sent.items():
        if kinds[qid] == "number":
            number = float(str(value))
            out[qid] = int(number) if number.is_integer() else number
        else:
            out[qid] = value
    return out


def as_shown(sent: dict[str, str | list[str]]) -> dict[str, list[str]]:
    """What a page shows once ``sent`` was answered on it (as ``shown`` reads it)."""
    out = {q: list(v) if isinstance(v, list) else [v] for q, v in sent.items()}
    return {q: v for q, v in out.items() if v}
