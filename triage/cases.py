"""Reading case files (docs/case-files.md): YAML, JSON, JSON Lines, directories and stdin.

Cases are yielded one at a time, in input order, so memory does not grow with the corpus.
Every input case yields exactly one item: a ``Case`` or a ``CaseError`` naming the file, the
case and the field (or, from ``iter_raw_cases``, a ``RawCase`` to validate elsewhere, or a
``JsonLines`` block of lines that a batch worker splits into cases). YAML
is loaded safely, and aliases are refused (no "billion laughs").
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple

import yaml

from .documents import DuplicateKeyError, UniqueKeys, load_json
from .errors import AnswerError
from .knowledge import RuleBase

CASE_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")
CASE_KEYS = ("id", "note", "answers", "expect")
MAX_FILE_BYTES = 50 * 1024 * 1024  # a whole-document file; JSON Lines stream without a limit
MAX_LINE_BYTES = 1024 * 1024


@dataclass
class Case:
    """A valid case: canonical answers, ready to evaluate."""

    id: str
    source: str
    answers: dict[str, Any]
    note: str | None = None
    expect: dict[str, Any] | None = None
    raw_answers: dict[str, Any] = field(default_factory=dict)


@dataclass
class CaseError:
    """A case that could not be read or validated."""

    id: str
    source: str
    message: str
    field: str | None = None

    def record(self) -> dict[str, Any]:
        """The error record of docs/result-record.md."""
        return {
            "id": self.id,
            "source": self.source,
            "error": {"message": self.message, "field": self.field},
        }

    def line(self) -> str:
        """One line naming the file, the case and the field."""
        where = f"{self.source}: case '{self.id}'"
        if self.field:
            where += f": {self.field}"
        return f"{where}: {self.message}"


class _NoAliasLoader(UniqueKeys, yaml.SafeLoader):
    """A safe loader that refuses aliases (case files never need them, and they can explode)
    and duplicate keys."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases are not allowed in case files", event.start_mark
            )
        return super().compose_node(parent, index)


def expand_paths(paths: Iterable[str]) -> Iterator[str]:
    """Files in the order given; a directory gives its case files recursively, sorted."""
    for p in paths:
        if p != "-" and os.path.isdir(p):
            found = []
            for root, dirs, files in os.walk(p):
                dirs.sort()
                found.extend(
                    os.path.join(root, f) for f in sorted(files) if f.endswith(CASE_SUFFIXES)
                )
            yield from found
        else:
            yield p


class JsonLine(NamedTuple):
    """One line of a JSON Lines input, not parsed yet (a batch worker parses it)."""

    lineno: int
    text: str | bytes  # bytes as read from a file; decoded when parsed


class RawCase(NamedTuple):
    """A case as read from its file, not yet validated: its source, default id and content."""

    source: str
    id: str
    raw: Any  # the parsed document, or a JsonLine still to parse


class JsonLines(NamedTuple):
    """Consecutive lines of a JSON Lines input, as read, blank ones too: a worker's share.

    Sending a block of lines costs the reading process a few microseconds less per case
    than a ``RawCase`` per line, and that process shares a core with the workers.
    """

    source: str
    stem: str
    first: int  # the number of the first line
    lines: list[str | bytes]

    def cases(self) -> Iterator[RawCase]:
        """A ``RawCase`` for each line that is not blank."""
        for lineno, line in enumerate(self.lines, self.first):
            if line.strip():
                yield RawCase(self.source, f"{self.stem}[{lineno}]", JsonLine(lineno, line))

    def cut(self, n: int) -> tuple[JsonLines, JsonLines]:
        """The first ``n`` lines, and the rest."""
        return (
            self._replace(lines=self.lines[:n]),
            self._replace(first=self.first + n, lines=self.lines[n:]),
        )

    def split(self) -> list[JsonLines]:
        """One block per line."""
        return [
            self._replace(first=self.first + i, lines=[line]) for i, line in enumerate(self.lines)
        ]


def units(item: Any) -> int:
    """How many input units an item covers: lines for a block, else one (progress counts them)."""
    return len(item.lines) if isinstance(item, JsonLines) else 1


def iter_raw_cases(
    paths: Iterable[str], stdin: IO[Any] | None = None, parse: bool = True, block: int = 0
) -> Iterator[RawCase | CaseError | JsonLines]:
    """Every case of every path as read, in input order; validation can then run elsewhere.

    With ``parse=False``, JSON Lines come as ``JsonLine`` lines for ``parse_raw`` to parse,
    or, with ``block`` > 0, as ``JsonLines`` blocks of that many lines.
    """
    for path in expand_paths(paths):
        for source, case_id, raw in _iter_raw(path, stdin, block if not parse else 0):
            if isinstance(raw, CaseError | JsonLines):
                yield raw
            else:
                item = RawCase(source, case_id, raw)
                yield parse_raw(item) if parse else item


def parse_raw(item: RawCase) -> RawCase | CaseError:
    """Parse a case still held as a JSON Lines line; any other case is returned as it is."""
    if not isinstance(item.raw, JsonLine):
        return item
    lineno, text = item.raw
    try:
        return item._replace(raw=load_json(text.decode() if isinstance(text, bytes) else text))
    except UnicodeDecodeError:
        return CaseError(item.id, item.source, f"line {lineno}: not UTF-8 text")
    except RecursionError:
        return CaseError(item.id, item.source, f"line {lineno}: nested too deeply")
    except DuplicateKeyError as exc:
        return CaseError(item.id, item.source, f"line {lineno}: {exc}")
    except ValueError as exc:
        return CaseError(item.id, item.source, f"line {lineno}: invalid JSON: {exc}")


def iter_cases(
    paths: Iterable[str], rb: RuleBase, stdin: IO[str] | None = None
) -> Iterator[Case | CaseError]:
    """Every case of every path, validated against the rule base, in input order."""
    for item in iter_raw_cases(paths, stdin):
        if isinstance(item, CaseError):
            yield item
        else:
            yield validate_case(item.raw, rb, source=item.source, default_id=item.id)


def _iter_raw(path: str, stdin: IO[Any] | None, block: int) -> Iterator[tuple[str, str, Any]]:
    """(source, default id, raw case, CaseError or JsonLines) for each case in one path."""
    if path == "-":
        import sys

        stream = stdin if stdin is not None else sys.stdin
        yield from _iter_jsonl(getattr(stream, "buffer", stream), "-", "stdin", block)
        return
    stem = Path(path).stem
    if not os.path.exists(path):
        yield path, stem, CaseError(stem, path, "no such file or directory")
        return
    suffix = Path(path).suffix.lower()
    if suffix not in CASE_SUFFIXES:
        yield (
            path,
            stem,
            CaseError(stem, path, f"not a case file (expected {', '.join(CASE_SUFFIXES)})"),
        )
        return
    try:
        if suffix == ".jsonl":
            with open(path, "rb") as fh:
                yield from _iter_jsonl(fh, path, stem, block)
            return
        if os.path.getsize(path) > MAX_FILE_BYTES:
            yield (
                path,
                stem,
                CaseError(
                    stem,
                    path,
                    f"file too large (over {MAX_FILE_BYTES // 2**20} MiB); use JSON Lines",
                ),
            )
            return
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8")
    except UnicodeDecodeError:
        yield path, stem, CaseError(stem, path, "not UTF-8 text")
        return
    except OSError as exc:
        yield path, stem, CaseError(stem, path, f"cannot read: {exc.strerror or exc}")
        return
    try:
        doc = load_json(text) if suffix == ".json" else yaml.load(text, Loader=_NoAliasLoader)
    except RecursionError:
        yield path, stem, CaseError(stem, path, "nested too deeply")
        return
    except (ValueError, yaml.YAMLError) as exc:
        yield path, stem, CaseError(stem, path, _parse_message(exc))
        return
    if doc is None:
        yield path, stem, CaseError(stem, path, "empty file: no case")
    elif isinstance(doc, list):
        if not doc:
            yield path, stem, CaseError(stem, path, "empty list: no case")
        for i, raw in enumerate(doc, 1):
            yield path, f"{stem}[{i}]", raw
    elif isinstance(doc, dict) and doc.get("resourceType") == "Bundle":
        from .fhir.responses import bundle_cases  # FHIR: its library loads only when used

        yield from bundle_cases(doc, path, stem)
    else:
        yield path, stem, doc


def _iter_jsonl(fh: IO[Any], source: str, stem: str, block: int) -> Iterator[tuple[str, str, Any]]:
    """Each line of a JSON Lines stream, or blocks of ``block`` lines.

    A line is decoded only when it is parsed, so a line that is not UTF-8 costs only its case.
    """
    nl: Any = "\n" if isinstance(fh, io.TextIOBase) else b"\n"
    lineno = 0
    lines: list[Any] = []
    while True:
        line = fh.readline(MAX_LINE_BYTES + 1)
        if not line:
            break
        lineno += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(nl):
            while line and not line.endswith(nl):  # skip the rest of the line
                line = fh.readline(MAX_LINE_BYTES)
            if lines:
                yield source, "", JsonLines(source, stem, lineno - len(lines), lines)
                lines = []
            case_id = f"{stem}[{lineno}]"
            yield source, case_id, CaseError(case_id, source, f"line {lineno} is longer than 1 MiB")
        elif block:
            lines.append(line)
            if len(lines) == block:
                yield source, "", JsonLines(source, stem, lineno + 1 - block, lines)
                lines = []
        elif line.strip():
            yield source, f"{stem}[{lineno}]", JsonLine(lineno, line)
    if lines:
        yield source, "", JsonLines(source, stem, lineno + 1 - len(lines), lines)


def _parse_message(exc: Exception) -> str:
    if isinstance(exc, DuplicateKeyError):
        return str(exc)
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f" at line {mark.line + 1}" if mark else ""
    return f"invalid YAML{where}: {problem}"


def validate_case(raw: Any, rb: RuleBase, *, source: str, default_id: str) -> Case | CaseError:
    """Check one raw case against the question catalogue; the first problem is reported.

    A document with a ``resourceType`` is FHIR: a QuestionnaireResponse (docs/fhir.md).
    """
    if isinstance(raw, dict) and "resourceType" in raw:
        from .fhir.responses import case_from_resource  # its library loads only when used

        return case_from_resource(raw, rb, source=source, default_id=default_id)
    case_id = default_id
    if (
        isinstance(raw, dict)
        and isinstance(raw.get("id"), str | int)
        and not isinstance(raw.get("id"), bool)
    ):
        case_id = str(raw["id"])

    def fail(message: str, fld: str | None = None) -> CaseError:
        return CaseError(case_id, source, message, fld)

    if not isinstance(raw, dict):
        return fail("a case must be a mapping with 'answers'")
    for key in raw:
        if key not in CASE_KEYS:
            return fail(f"unknown field (a case has {', '.join(CASE_KEYS)})", str(key))
    if "id" in raw and (not isinstance(raw["id"], str | int) or isinstance(raw["id"], bool)):
        return fail("must be a string", "id")
    note = raw.get("note")
    if note is not None and not isinstance(note, str):
        return fail("must be a string", "note")
    answers = raw.get("answers")
    if "answers" not in raw:
        return fail("missing: every case has answers", "answers")
    if answers is None:
        answers = {}
    if not isinstance(answers, dict):
        return fail("must be a mapping of question id to answer", "answers")
    canonical: dict[str, Any] = {}
    for qid, value in answers.items():
        question = rb.questions.get(qid) if isinstance(qid, str) else None
        if question is None:
            return fail(f"unknown question id {qid!r}", f"answers.{qid}")
        if value is None:
            continue  # null means not answered
        try:
            canonical[qid] = question.parse(value)
        except AnswerError as exc:
            return fail(exc.message, f"answers.{qid}")
    expect = raw.get("expect")
    if expect is not None:
        problem = _check_expect(expect, rb)
        if problem:
            return fail(problem[1], problem[0])
    return Case(case_id, source, canonical, note=note, expect=expect, raw_answers=answers)


def _check_expect(expect: Any, rb: RuleBase) -> tuple[str, str] | None:
    if not isinstance(expect, dict):
        return "expect", "must be a mapping"
    for key in expect:
        if key not in ("disposition", "timeframe", "fired"):
            return f"expect.{key}", "unknown field (disposition, timeframe, fired)"
    dispositions = {o.disposition for o in rb.outcomes}
    for key in ("disposition", "timeframe"):
        if expect.get(key) is not None and not isinstance(expect[key], str):
            return f"expect.{key}", "must be a string"
    if "disposition" in expect and expect["disposition"] not in dispositions:
        return "expect.disposition", f"unknown disposition {expect['disposition']!r}"
    timeframes = {o.timeframe for o in rb.outcomes if o.timeframe}
    if expect.get("timeframe") is not None and expect["timeframe"] not in timeframes:
        return "expect.timeframe", f"unknown timeframe {expect['timeframe']!r}"
    fired = expect.get("fired", [])
    if not isinstance(fired, list):
        return "expect.fired", "must be a list of rule ids"
    known = {r.id for r in rb.rules}
    for rid in fired:
        if not isinstance(rid, str):
            return "expect.fired", "must be a list of rule ids"
        if rid not in known:
            return "expect.fired", f"unknown rule id {rid!r}"
    return None
