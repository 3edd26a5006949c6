"""Reading case files (docs/case-files.md): YAML, JSON, JSON Lines, directories and stdin.

Cases are yielded one at a time, in input order, so memory does not grow with the corpus: a
YAML list is read one item at a time, JSON Lines one line at a time; only a ``.json`` file is
read whole. Every input case yields exactly one item: a ``Case`` or a ``CaseError`` naming the
file, the case and the field (or, from ``iter_raw_cases``, a ``RawCase`` to validate
elsewhere, or a ``JsonLines`` block of lines that a batch worker splits into cases); an input
that gives no case (an empty file or directory, an unreadable one, a FIFO or a device in a
directory) gives a ``CaseError`` saying so. YAML is loaded safely, and aliases are refused (no
"billion laughs").
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar, NamedTuple

import yaml

from .documents import DuplicateKeyError, SafeLoader, load_json
from .errors import AnswerError
from .knowledge import RuleBase
from .printable import printable, quoted, shorten

CASE_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")
CASE_KEYS = ("id", "note", "answers", "expect")
MAX_FILE_BYTES = 50 * 1024 * 1024  # a .json file, read whole
MAX_LINE_BYTES = 1024 * 1024  # a line of JSON Lines, or a case of a YAML file
_BOM = "\ufeff"


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
        where = f"{self.source}: case '{shorten(self.id)}'"
        if self.field:
            where += f": {shorten(self.field)}"
        return printable(f"{where}: {self.message}")


_INT = "tag:yaml.org,2002:int"


class _CaseLoader(SafeLoader):
    """The safe loader (no aliases, no duplicate keys, bounded nesting) with YAML 1.2's
    integers: ``age: 030`` is 30, not the octal 24 of YAML 1.1, and ``1:30`` is no number."""

    # An instance variable in the stubs; PyYAML reads it from the class.
    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {  # type: ignore[misc]
        first: [(tag, rx) for tag, rx in resolvers if tag != _INT]
        for first, resolvers in SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_yaml_int(self, node: Any) -> int:
        text = self.construct_scalar(node)
        sign, digits = (-1, text[1:]) if text[:1] == "-" else (1, text.lstrip("+"))
        base = {"0o": 8, "0x": 16}.get(digits[:2].lower(), 10)
        return sign * int(digits[2:] if base != 10 else digits, base)


_CaseLoader.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
# The stubs type a constructor for PyYAML's own loaders only.
_CaseLoader.add_constructor(_INT, _CaseLoader.construct_yaml_int)  # type: ignore[type-var]


def expand_paths(paths: Iterable[str | CaseError]) -> Iterator[str | CaseError]:
    """Files in the order given; a directory gives its case files recursively, sorted.

    In a directory only regular files are read (a FIFO would wait for ever, a device could
    be endless); symbolic links are followed, each directory read once (a link back up would
    loop). Whatever cannot be read, or gives no case file, is a ``CaseError`` in its place;
    so is a second ``-`` (standard input can be read only once).
    """
    stdin_seen = False
    for p in paths:
        if isinstance(p, CaseError):
            yield p
        elif p == "-":
            if stdin_seen:
                yield CaseError("stdin", "-", "standard input is read once: give '-' only once")
                continue
            stdin_seen = True
            yield p
        elif os.path.isdir(p):
            yield from _walk(p)
        else:
            yield p


def _walk(top: str) -> Iterator[str | CaseError]:
    """The case files under directory ``top`` (files before subdirectories, both sorted)."""
    seen: dict[tuple[int, int], str] = {}
    found = False
    pending = [top]
    while pending:
        directory = pending.pop()
        try:
            st = os.stat(directory)
            key = (st.st_dev, st.st_ino)
            if key in seen:
                found = True
                yield _dir_error(directory, f"the same directory as {seen[key]}: not read again")
                continue
            seen[key] = directory
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            found = True
            yield _dir_error(directory, f"cannot read directory: {exc.strerror or exc}")
            continue
        subdirectories = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
                is_file = not is_dir and entry.is_file()
            except OSError:
                is_dir = is_file = False
            if is_dir:
                subdirectories.append(entry.path)
            elif entry.name.endswith(CASE_SUFFIXES):
                found = True
                if is_file:
                    yield entry.path
                else:
                    yield _not_regular(entry.path)
        pending.extend(reversed(subdirectories))
    if not found:
        yield _dir_error(top, f"no case files ({', '.join(CASE_SUFFIXES)}) in this directory")


def _dir_error(path: str, message: str) -> CaseError:
    return CaseError(Path(path).name or path, path, message)


def _not_regular(path: str) -> CaseError:
    """The error for a path that is not a regular file (not followed, or a dangling link)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return CaseError(Path(path).stem, path, "no such file (a broken symbolic link?)")
    kind = (
        "a FIFO"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a regular file"
    )
    return CaseError(Path(path).stem, path, f"{kind}, not a regular file: not read")


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
    paths: Iterable[str | CaseError],
    stdin: IO[Any] | None = None,
    parse: bool = True,
    block: int = 0,
) -> Iterator[RawCase | CaseError | JsonLines]:
    """Every case of every path as read, in input order; validation can then run elsewhere.

    ``paths`` may hold what ``expand_paths`` gave (a ``CaseError`` passes through). With
    ``parse=False``, JSON Lines come as ``JsonLine`` lines for ``parse_raw`` to parse, or,
    with ``block`` > 0, as ``JsonLines`` blocks of that many lines.
    """
    for path in expand_paths(paths):
        if isinstance(path, CaseError):
            yield path
            continue
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
            assert isinstance(item, RawCase)  # parsed: no blocks of JSON Lines
            yield validate_case(item.raw, rb, source=item.source, default_id=item.id)


def _iter_raw(path: str, stdin: IO[Any] | None, block: int) -> Iterator[tuple[str, str, Any]]:
    """(source, default id, raw case, CaseError or JsonLines) for each case in one path."""
    if path == "-":
        import sys

        stream = stdin if stdin is not None else sys.stdin
        if stream is None:  # closed (`<&-`)
            yield "-", "stdin", CaseError("stdin", "-", "cannot read: standard input is closed")
            return
        yield from _iter_jsonl(getattr(stream, "buffer", stream), "-", "stdin", block)
        return
    stem = Path(path).stem
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        yield path, stem, CaseError(stem, path, "no such file or directory")
        return
    except OSError as exc:
        yield path, stem, CaseError(stem, path, f"cannot read: {exc.strerror or exc}")
        return
    suffix = Path(path).suffix.lower()
    if suffix not in CASE_SUFFIXES:
        yield (
            path,
            stem,
            CaseError(stem, path, f"not a case file (expected {', '.join(CASE_SUFFIXES)})"),
        )
        return
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):  # a pipe named here is read; a device not
        yield path, stem, _not_regular(path)
        return
    try:
        with open(path, "rb") as fh:
            if suffix == ".jsonl":
                yield from _iter_jsonl(fh, path, stem, block)
            elif suffix == ".json":
                yield from _iter_json(fh, path, stem)
            else:
                yield from _iter_yaml(fh, path, stem)
    except OSError as exc:  # opening it (reading fails inside, case by case)
        yield path, stem, CaseError(stem, path, f"cannot read: {exc.strerror or exc}")


def _iter_json(fh: IO[bytes], path: str, stem: str) -> Iterator[tuple[str, str, Any]]:
    """The cases of a .json file, read whole (so within ``MAX_FILE_BYTES``)."""
    try:
        data = fh.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            message = f"file too large (over {MAX_FILE_BYTES // 2**20} MiB); use JSON Lines"
            yield path, stem, CaseError(stem, path, message)
            return
        doc = load_json(data.decode("utf-8-sig"))  # a byte order mark is allowed
    except OSError as exc:
        yield path, stem, CaseError(stem, path, f"cannot read: {exc.strerror or exc}")
        return
    except UnicodeDecodeError:
        yield path, stem, CaseError(stem, path, "not UTF-8 text")
        return
    except RecursionError:
        yield path, stem, CaseError(stem, path, "nested too deeply")
        return
    except ValueError as exc:
        yield path, stem, CaseError(stem, path, _parse_message(exc))
        return
    yield from _document_cases(doc, path, stem)


def _document_cases(doc: Any, path: str, stem: str) -> Iterator[tuple[str, str, Any]]:
    """The cases of a document read whole: one case, a list of them, or a FHIR Bundle."""
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


class _TooLarge(Exception):
    """A YAML case is longer than ``MAX_LINE_BYTES``."""


class _Bounded:
    """A binary file as the YAML parser reads it: a case (counted from ``start``) of more than
    ``MAX_LINE_BYTES``, plus what the parser reads ahead, stops it, so memory stays bounded."""

    def __init__(self, fh: IO[bytes]):
        self.fh = fh
        self.name = getattr(fh, "name", "<file>")
        self.count = 0
        # what is there, without waiting for ``size`` bytes (a pipe can hold less)
        self._read = getattr(fh, "read1", fh.read)

    def read(self, size: int) -> bytes:
        data = self._read(size)
        self.count += len(data)
        if self.count > MAX_LINE_BYTES + 65536:
            raise _TooLarge
        return data

    def start(self) -> None:
        self.count = 0


def _iter_yaml(fh: IO[bytes], path: str, stem: str) -> Iterator[tuple[str, str, Any]]:
    """The cases of a YAML file: each item of a top-level list as it is read (a list of any
    length takes the memory of one item), or the one case the file holds."""
    reader = _Bounded(fh)
    loader = _CaseLoader(reader)
    case_id = stem  # of the case being read: an error is its record
    try:
        loader.get_event()  # the stream's start
        if loader.check_event(yaml.StreamEndEvent):
            yield path, stem, CaseError(stem, path, "empty file: no case")
            return
        loader.get_event()  # the document's start
        event = loader.peek_event()
        if isinstance(event, yaml.SequenceStartEvent) and event.tag in _PLAIN_LIST:
            loader.get_event()
            count = 0
            while not loader.check_event(yaml.SequenceEndEvent):
                case_id = f"{stem}[{count + 1}]"
                reader.start()
                raw = loader.construct_document(loader.compose_node(None, None))
                count += 1
                yield path, case_id, raw
            loader.get_event()
            case_id = stem  # what follows is no case of the list
            if not count:
                yield path, stem, CaseError(stem, path, "empty list: no case")
            _one_document(loader)
        else:
            doc = loader.construct_document(loader.compose_node(None, None))
            _one_document(loader)  # first: with a second document, the file is an error
            yield from _document_cases(doc, path, stem)
    except _TooLarge:
        message = "a case longer than 1 MiB" + _rest(case_id != stem)
        yield path, case_id, CaseError(case_id, path, message)
    except OSError as exc:
        yield path, case_id, CaseError(case_id, path, f"cannot read: {exc.strerror or exc}")
    except RecursionError:
        message = "nested too deeply" + _rest(case_id != stem)
        yield path, case_id, CaseError(case_id, path, message)
    except (ValueError, yaml.YAMLError) as exc:
        message = _parse_message(exc) + _rest(case_id != stem)
        yield path, case_id, CaseError(case_id, path, message)
    finally:
        loader.dispose()


def _one_document(loader: Any) -> None:
    """End the document; a second one is an error."""
    loader.get_event()
    if not loader.check_event(yaml.StreamEndEvent):
        mark = loader.peek_event().start_mark
        raise yaml.composer.ComposerError(
            None, None, "a second document (not read): put every case in one list", mark
        )


_PLAIN_LIST = (None, "!", "tag:yaml.org,2002:seq")


def _rest(in_list: bool) -> str:
    return "; the cases after it are not read" if in_list else ""


def _iter_jsonl(fh: IO[Any], source: str, stem: str, block: int) -> Iterator[tuple[str, str, Any]]:
    """Each line of a JSON Lines stream, or blocks of ``block`` lines.

    A line is decoded only when it is parsed, so a line that is not UTF-8 costs only its case.
    A byte order mark may start the stream; a stream without a case gives an error saying so.
    """
    text = isinstance(fh, io.TextIOBase)
    nl: Any = "\n" if text else b"\n"
    bom: Any = _BOM if text else _BOM.encode()
    lineno = 0
    lines: list[Any] = []
    found = False  # a line that is not blank
    while True:
        try:
            line = fh.readline(MAX_LINE_BYTES + 1)
        except OSError as exc:
            if lines:
                yield source, "", JsonLines(source, stem, lineno + 1 - len(lines), lines)
            case_id = f"{stem}[{lineno + 1}]"
            message = f"cannot read line {lineno + 1}: {exc.strerror or exc}"
            yield source, case_id, CaseError(case_id, source, message)
            return
        if not line:
            break
        if lineno == 0 and line.startswith(bom):
            line = line[len(bom) :]
        lineno += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(nl):
            found = True
            while line and not line.endswith(nl):  # skip the rest of the line
                line = fh.readline(MAX_LINE_BYTES)
            if lines:
                yield source, "", JsonLines(source, stem, lineno - len(lines), lines)
                lines = []
            case_id = f"{stem}[{lineno}]"
            yield source, case_id, CaseError(case_id, source, f"line {lineno} is longer than 1 MiB")
        elif block:
            lines.append(line)
            if not found and line.strip():
                found = True
            if len(lines) == block:
                yield source, "", JsonLines(source, stem, lineno + 1 - block, lines)
                lines = []
        elif line.strip():
            found = True
            yield source, f"{stem}[{lineno}]", JsonLine(lineno, line)
    if lines:
        yield source, "", JsonLines(source, stem, lineno + 1 - len(lines), lines)
    if not found:
        what = "standard input was empty" if source == "-" else "the file is empty"
        yield source, stem, CaseError(stem, source, f"no case: {what}")


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
    case_id, id_too_long = default_id, False
    if (
        isinstance(raw, dict)
        and isinstance(raw.get("id"), str | int)
        and not isinstance(raw.get("id"), bool)
    ):
        try:
            case_id = str(raw["id"])
        except ValueError:  # an integer too long to write: refused below
            id_too_long = True

    def fail(message: str, fld: str | None = None) -> CaseError:
        return CaseError(case_id, source, message, fld)

    if not isinstance(raw, dict):
        return fail("a case must be a mapping with 'answers'")
    for key in raw:
        if key not in CASE_KEYS:
            return fail(f"unknown field (a case has {', '.join(CASE_KEYS)})", _text(key))
    if "id" in raw and (not isinstance(raw["id"], str | int) or isinstance(raw["id"], bool)):
        return fail("must be a string", "id")
    if id_too_long:
        return fail("a number too long to be an id (over 4,300 digits)", "id")
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
            return fail(f"unknown question id {_quoted(qid)}", f"answers.{_text(qid)}")
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
            return f"expect.{_text(key)}", "unknown field (disposition, timeframe, fired)"
    dispositions = {o.disposition for o in rb.outcomes}
    for key in ("disposition", "timeframe"):
        if expect.get(key) is not None and not isinstance(expect[key], str):
            return f"expect.{key}", "must be a string"
    if "disposition" in expect and expect["disposition"] not in dispositions:
        return "expect.disposition", f"unknown disposition {quoted(expect['disposition'])}"
    timeframes = {o.timeframe for o in rb.outcomes if o.timeframe}
    if expect.get("timeframe") is not None and expect["timeframe"] not in timeframes:
        return "expect.timeframe", f"unknown timeframe {quoted(expect['timeframe'])}"
    fired = expect.get("fired", [])
    if not isinstance(fired, list):
        return "expect.fired", "must be a list of rule ids"
    known = {r.id for r in rb.rules}
    for rid in fired:
        if not isinstance(rid, str):
            return "expect.fired", "must be a list of rule ids"
        if rid not in known:
            return "expect.fired", f"unknown rule id {quoted(rid)}"
    return None


#: What stands for an integer Python will not write out (over 4,300 digits: from a YAML
#: hexadecimal or binary number, which is read without that limit).
TOO_LONG = "a number too long to show"


def _text(value: Any, too_long: Any = TOO_LONG) -> Any:
    """``value`` as short text for a message or an id, or ``too_long`` for an integer of more
    digits than Python writes (``str`` would raise)."""
    try:
        return shorten(str(value))
    except ValueError:
        return too_long


def _quoted(value: Any) -> str:
    """``quoted(value)``, or words for an integer of more digits than Python writes."""
    try:
        return quoted(value)
    except ValueError:
        return TOO_LONG
