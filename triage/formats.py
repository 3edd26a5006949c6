"""Writers for batch records: JSON Lines, a JSON array, CSV and a table for people.

Each writer streams: it writes a record as soon as it gets it, so memory does not grow. A
writer's ``encode`` (when it has one) turns a whole record into its text; batch workers call
it, so the JSON is built where the record is, and only the text and the few fields the writer
``reads`` travel back to the writing process.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable
from typing import IO, Any, ClassVar

FORMATS = ("table", "jsonl", "json", "csv")
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


def to_json(record: dict[str, Any]) -> str:
    """A record as one line of JSON (UTF-8 kept as is)."""
    return json.dumps(record, ensure_ascii=False)


class Writer:
    """Base writer: ``write`` each record (with its ``encode``d text, if any), then ``close``."""

    encode: ClassVar[Callable[[dict[str, Any]], str] | None] = None
    reads: ClassVar[frozenset[str]] = frozenset(CSV_COLUMNS)  # the record fields write() uses

    def __init__(self, out: IO[str]):
        self.out = out

    def write(self, record: dict[str, Any], text: str | None = None) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.out.flush()


class JsonLinesWriter(Writer):
    encode = staticmethod(to_json)
    reads = frozenset()

    def write(self, record: dict[str, Any], text: str | None = None) -> None:
        self.out.write((text if text is not None else to_json(record)) + "\n")


class JsonArrayWriter(Writer):
    encode = staticmethod(to_json)
    reads = frozenset()

    def __init__(self, out: IO[str]):
        super().__init__(out)
        self.count = 0
        out.write("[")

    def write(self, record: dict[str, Any], text: str | None = None) -> None:
        text = text if text is not None else to_json(record)
        self.out.write(("\n" if self.count == 0 else ",\n") + text)
        self.count += 1

    def close(self) -> None:
        self.out.write("\n]\n" if self.count else "]\n")
        super().close()


class CsvWriter(Writer):
    def __init__(self, out: IO[str]):
        super().__init__(out)
        self.csv = csv.writer(out)
        self.csv.writerow(CSV_COLUMNS)

    def write(self, record: dict[str, Any], text: str | None = None) -> None:
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
                f"{error['field'] or ''}: {error['message']}" if error else "",
            ]
        )


class TableWriter(Writer):
    """One row per case (id, disposition, timeframe, main reason), then counts per disposition."""

    def __init__(self, out: IO[str]):
        super().__init__(out)
        self.counts: Counter[str] = Counter()
        out.write(f"{'id':<36} {'disposition':<19} {'timeframe':<9} main reason\n")

    def write(self, record: dict[str, Any], text: str | None = None) -> None:
        if "error" in record:
            self.counts["error"] += 1
            row = ("ERROR", "", record["error"]["message"])
        else:
            self.counts[record["disposition"]] += 1
            reasons = record.get("reasons") or [{"title": ""}]
            row = (record["disposition"], record.get("timeframe") or "", reasons[0]["title"])
        self.out.write(
            f"{_cut(str(record.get('id')), 36):<36} {row[0]:<19} {row[1]:<9} {_cut(row[2], 70)}\n"
        )

    def close(self) -> None:
        total = sum(self.counts.values())
        self.out.write(
            f"\n{total} case(s): "
            + ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
            + "\n"
        )
        super().close()


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def make_writer(fmt: str, out: IO[str]) -> Writer:
    """The writer for a format name."""
    return {
        "jsonl": JsonLinesWriter,
        "json": JsonArrayWriter,
        "csv": CsvWriter,
        "table": TableWriter,
    }[fmt](out)
