"""Writers for batch records: JSON Lines, a JSON array, CSV and a table for people.

Records are encoded by orjson, compact (no spaces after ``,`` and ``:``), keys in the record's
order, UTF-8 as is: about five times faster than ``json``. A string with a lone surrogate (from
a JSON ``"\\ud800"`` escape) is no UTF-8, and orjson refuses it: that one document is then
encoded by ``json`` with the same separators and every non-ASCII character escaped, so it
stays valid JSON that reads back to the same values.

Each writer streams: it writes records as soon as it gets them, so memory does not grow. A
writer's ``encode`` (when it has one) turns consecutive records into UTF-8; batch workers call
it, so the JSON is built where the records are, and only those bytes (or, for a writer without
one, the few fields it ``reads``) travel back to the writing process.
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from collections.abc import Callable
from typing import IO, Any, ClassVar, NamedTuple

import orjson

from .printable import printable

FORMATS = ("table", "jsonl", "json", "csv", "fhir")
_UTF8 = ("utf-8", "utf8")
CSV_COLUMNS = (
    "id",
    "source",
    "disposition",
    "timeframe",
    "complete",
    "fired",
    "unanswered",
    "reasons",
    "error",
)


def json_bytes(doc: Any, *, indent: bool = False) -> bytes:
    """A document as JSON in UTF-8: compact, or indented by two spaces."""
    try:
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2 if indent else None)
    except orjson.JSONEncodeError:  # a lone surrogate, say: escape it as JSON escapes it
        if indent:
            return json.dumps(doc, indent=2).encode()
        return json.dumps(doc, separators=(",", ":")).encode()


def to_json(record: dict[str, Any]) -> str:
    """A record as one line of JSON (UTF-8 kept as is)."""
    return json_bytes(record).decode()


def json_lines(records: list[dict[str, Any]]) -> bytes:
    """Records as JSON Lines in UTF-8, each line ended."""
    return JSON_LINES(records)


def _line(record: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:
        return json_bytes(record) + b"\n"


def json_items(records: list[dict[str, Any]]) -> bytes:
    """Records as consecutive items of a JSON array in UTF-8, one per line."""
    return JSON_ITEMS(records)


class Encoding(NamedTuple):
    """How a format encodes consecutive records: each ``one`` by one, joined by ``separator``.

    A batch worker encodes each record as soon as it has it and lets it go, rather than
    holding a whole chunk of records (megabytes of objects, out of the processor's caches) to
    encode them at the end; it then joins the pieces.
    """

    one: Callable[[dict[str, Any]], bytes]
    separator: bytes

    def __call__(self, records: list[dict[str, Any]]) -> bytes:
        return self.separator.join([self.one(r) for r in records])


JSON_LINES = Encoding(_line, b"")
JSON_ITEMS = Encoding(json_bytes, b",\n")


class Writer:
    """Base writer: ``write`` records, or ``write_encoded`` what ``encode`` made; then ``close``."""

    encode: ClassVar[Encoding | None] = None
    reads: ClassVar[frozenset[str]] = frozenset(CSV_COLUMNS)  # the record fields write() uses

    def __init__(self, out: IO[str]):
        self.out = out
        self._text = False  # text written since the last bytes
        # UTF-8 can go straight to the byte stream under the text one where that changes
        # nothing: the stream encodes UTF-8 and translates no newlines.
        encoding = (getattr(out, "encoding", "") or "").lower().replace("_", "-")
        utf8 = encoding in _UTF8 and os.linesep == "\n"
        self._bytes: IO[bytes] | None = getattr(out, "buffer", None) if utf8 else None

    def write(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def write_encoded(self, data: bytes, count: int) -> None:
        """Write ``count`` records already encoded by ``encode``."""
        raise NotImplementedError

    def _write_utf8(self, data: bytes) -> None:
        """Encoded records, as bytes where possible.

        Batch output is megabytes a second: decoding it to text only to encode it again
        took a good share of the writing process's time.
        """
        if self._bytes is None:
            self._write_text(data.decode("utf-8"))
            return
        if self._text:
            self.out.flush()
            self._text = False
        self._bytes.write(data)
        if getattr(self.out, "line_buffering", False):  # as the text stream would
            self._bytes.flush()

    def _write_text(self, text: str) -> None:
        self.out.write(text)
        self._text = True

    def close(self) -> None:
        self.out.flush()


class JsonLinesWriter(Writer):
    encode = JSON_LINES
    reads = frozenset()

    def write(self, record: dict[str, Any]) -> None:
        self.write_encoded(json_lines([record]), 1)

    def write_encoded(self, data: bytes, count: int) -> None:
        self._write_utf8(data)


class JsonArrayWriter(Writer):
    encode = JSON_ITEMS
    reads = frozenset()

    def __init__(self, out: IO[str]):
        super().__init__(out)
        self.count = 0
        self._write_text("[")

    def write(self, record: dict[str, Any]) -> None:
        self.write_encoded(json_items([record]), 1)

    def write_encoded(self, data: bytes, count: int) -> None:
        self._write_utf8((b"\n" if self.count == 0 else b",\n") + data)
        self.count += count

    def close(self) -> None:
        self._write_text("\n]\n" if self.count else "]\n")
        super().close()


class CsvWriter(Writer):
    def __init__(self, out: IO[str]):
        super().__init__(out)
        self.csv = csv.writer(out)
        self.csv.writerow(CSV_COLUMNS)

    def write(self, record: dict[str, Any]) -> None:
        error = record.get("error")
        self.csv.writerow(
            [
                record.get("id"),
                record.get("source"),
                record.get("disposition", ""),
                record.get("timeframe") or "",
                "" if error else str(record.get("complete")).lower(),
                " ".join(record.get("fired", [])),
                " ".join(record.get("unanswered", [])),
                " ".join(r["rule"] for r in record.get("reasons", [])),
                (f"{error['field']}: " if error and error["field"] else "")
                + (error["message"] if error else ""),
            ]
        )


class TableWriter(Writer):
    """One row per case (id, disposition, timeframe, main reason), then counts per disposition."""

    def __init__(self, out: IO[str]):
        super().__init__(out)
        self.counts: Counter[str] = Counter()
        self.incomplete = 0
        out.write(f"{'id':<36} {'disposition':<19} {'timeframe':<14} main reason\n")

    def write(self, record: dict[str, Any]) -> None:
        if "error" in record:
            self.counts["error"] += 1
            row = ("ERROR", "", record["error"]["message"])
        else:
            self.counts[record["disposition"]] += 1
            reasons = record.get("reasons") or [{"title": ""}]
            reason = reasons[0]["title"]
            if record.get("complete") is False:
                self.incomplete += 1
                reason = f"[incomplete: {len(record['unanswered'])} unanswered] {reason}"
            row = (record["disposition"], record.get("timeframe") or "", reason)
        cells = [printable(str(cell)) for cell in (record.get("id"), *row)]  # ids come from anyone
        self.out.write(
            f"{_cut(cells[0], 36):<36} {cells[1]:<19} {cells[2]:<14} {_cut(cells[3], 70)}\n"
        )

    def close(self) -> None:
        total = sum(self.counts.values())
        incomplete = f" ({self.incomplete} incomplete)" if self.incomplete else ""
        self.out.write(
            f"\n{total} case(s): "
            + ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
            + incomplete
            + "\n"
        )
        super().close()


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def make_writer(fmt: str, out: IO[str]) -> Writer:
    """The writer for a format name."""
    if fmt == "fhir":  # FHIR resources (docs/fhir.md): the FHIR library loads only for them
        from .fhir.guidance import FhirLinesWriter

        return FhirLinesWriter(out)
    return {
        "jsonl": JsonLinesWriter,
        "json": JsonArrayWriter,
        "csv": CsvWriter,
        "table": TableWriter,
    }[fmt](out)
