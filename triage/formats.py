"""Writers for batch records: JSON Lines, a JSON array, CSV and a table for people.

Each writer streams: it writes a record as soon as it gets it, so memory does not grow.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from typing import IO, Any

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


class Writer:
    """Base writer: ``write`` each record, then ``close``."""

    def __init__(self, out: IO[str]):
        self.out = out

    def write(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.out.flush()


class JsonLinesWriter(Writer):
    def write(self, record: dict[str, Any]) -> None:
        self.out.write(json.dumps(record, ensure_ascii=False) + "\n")


class JsonArrayWriter(Writer):
    def __init__(self, out: IO[str]):
        super().__init__(out)
        self.count = 0
        out.write("[")

    def write(self, record: dict[str, Any]) -> None:
        self.out.write(
            ("\n" if self.count == 0 else ",\n") + json.dumps(record, ensure_ascii=False)
        )
        self.count += 1

    def close(self) -> None:
        self.out.write("\n]\n" if self.count else "]\n")
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
                f"{error['field'] or ''}: {error['message']}" if error else "",
            ]
        )


class TableWriter(Writer):
    """One row per case (id, disposition, timeframe, main reason), then counts per disposition."""

    def __init__(self, out: IO[str]):
        super().__init__(out)
        self.counts: Counter[str] = Counter()
        out.write(f"{'id':<36} {'disposition':<19} {'timeframe':<9} main reason\n")

    def write(self, record: dict[str, Any]) -> None:
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
