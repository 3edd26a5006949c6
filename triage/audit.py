"""The audit log: one JSON line per decision, appended whole even from parallel processes.

Writing: the file is opened with ``O_APPEND`` and each record is one ``os.write`` of the
whole line under an exclusive ``flock``, so records from parallel workers never interleave.
If a killed writer left a partial last line, the next writer starts on a fresh line, so the
damage stays on that one line; a write that fails part-way (a full disk) is cut off again, so
the log holds whole lines. The log holds health answers: it is created readable and writable
by its owner only (0600). Reading is tolerant: a line that is not a whole JSON record
(such as that partial line) is skipped with a warning, never a crash.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from . import __version__
from .errors import AnswerError, TriageError
from .service import Triage

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: O_APPEND alone still appends whole writes
    fcntl = None  # type: ignore[assignment]

ENV_VAR = "TRIAGE_AUDIT_LOG"
RECORD_KIND = "triage-decision"


def now() -> str:
    """The current time, UTC, ISO 8601 to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def decision_record(result: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The audit record of one result record: what was decided, on what answers, by what rules."""
    record: dict[str, Any] = {
        "kind": RECORD_KIND,
        "time": now(),
        "id": result.get("id"),
        "source": result.get("source"),
        "answers": result.get("answers", {}),
        "result": {
            "disposition": result.get("disposition"),
            "timeframe": result.get("timeframe"),
            "label": result.get("label"),
            "reasons": [r.get("rule") for r in result.get("reasons", [])],
            "complete": result.get("complete"),
            "unanswered": result.get("unanswered", []),
            "unsure": result.get("unsure", []),
        },
        "fired": result.get("fired", []),
        "rulebase": result.get("rulebase"),
        "version": result.get("triage_version", __version__),
    }
    if result.get("asked"):
        record["asked"] = [a.get("question") if isinstance(a, dict) else a for a in result["asked"]]
    record.update(extra)
    return record


class AuditLog:
    """An append-only JSON Lines file of decisions; safe to share between processes."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self._fd: int | None = None
        # flock keeps other processes out, but threads of one process share the open file,
        # and with it the lock: they take turns here first.
        self._threads = threading.Lock()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> AuditLog:
        """Open (creating) the file now, so that an unwritable path fails before any decision."""
        self._open()
        return self

    def _open(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        return self._fd

    def close(self) -> None:
        """Close the file (the log stays usable: the next append reopens it)."""
        with self._threads:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def append(self, record: dict[str, Any]) -> None:
        """Append one record as one line, whole, even with other writers at the same time.

        A write that fails (``OSError``: a full disk, say) leaves the log as it was.
        """
        line = _line(record)
        with self._threads:
            self._append(line)

    def _append(self, line: bytes) -> None:
        fd = self._open()
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line  # a killed writer left a partial line: keep it apart
            try:
                written = os.write(fd, line)
                while written < len(line):  # only on a full disk or similar; still under the lock
                    written += os.write(fd, line[written:])
            except OSError:
                with contextlib.suppress(OSError):  # cut off what part of the line went in
                    os.ftruncate(fd, size)
                raise
        finally:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)


def _line(record: dict[str, Any]) -> bytes:
    """A record as one line of JSON in UTF-8 (a lone surrogate, from a JSON escape or a file
    name that is not UTF-8, is escaped as JSON escapes it)."""
    try:
        text = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=_default)
        return (text + "\n").encode()
    except UnicodeEncodeError:
        return (json.dumps(record, separators=(",", ":"), default=_default) + "\n").encode()


def _default(value: Any) -> Any:
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def append_decision(
    path: str | os.PathLike[str], record: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    """Append the decision of one result record to the log at ``path``; return what was written.

    ``record`` is a result record (``Triage.result``); ``extra`` fields (such as
    ``command="batch"``) are added to the audit record.
    """
    entry = decision_record(record, **extra)
    with AuditLog(path) as log:
        log.append(entry)
    return entry


@dataclass
class Entry:
    """One readable record of the log, with its line number."""

    line: int
    record: dict[str, Any]

    @property
    def time(self) -> datetime | None:
        """The record's time, or None when it is missing or unreadable."""
        try:
            t = datetime.fromisoformat(str(self.record.get("time")))
        except ValueError:
            return None
        return t if t.tzinfo else t.replace(tzinfo=UTC)

    @property
    def outcome(self) -> tuple[str | None, str | None]:
        """The (disposition, timeframe) recorded."""
        result = self.record.get("result") or {}
        return result.get("disposition"), result.get("timeframe")


def read_log(
    path: str | os.PathLike[str], warn: Callable[[str], None] | None = None
) -> Iterator[Entry]:
    """Every whole record of the log, in order; a broken line is skipped with a warning."""
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
                problem = _not_a_record(record)
            except RecursionError:
                problem = "nested too deeply"
            except (UnicodeDecodeError, ValueError):
                problem = "incomplete or invalid JSON (a writer killed mid-write?)"
            if problem is not None:
                if warn is not None:
                    warn(f"{path}: line {n}: {problem}; skipped")
                continue
            yield Entry(n, record)


def _not_a_record(record: Any) -> str | None:
    """Why a line's JSON is not a decision record (a field of the wrong shape), or None."""
    if not isinstance(record, dict) or not isinstance(record.get("result"), dict):
        return "not a decision record"
    result = record["result"]
    for key in ("disposition", "timeframe"):
        if not isinstance(result.get(key), str | None):
            return f"not a decision record (result.{key} is not a name)"
    fired = record.get("fired")
    if fired is not None and not (
        isinstance(fired, list) and all(isinstance(r, str) for r in fired)
    ):
        return "not a decision record (fired is not a list of rule ids)"
    rulebase = record.get("rulebase")
    if rulebase is not None and not (
        isinstance(rulebase, dict) and all(isinstance(v, str | None) for v in rulebase.values())
    ):
        return "not a decision record (rulebase is not a rule base's name, version and sha256)"
    if not isinstance(record.get("answers"), dict | None):
        return "not a decision record (answers is not a mapping)"
    for key in ("id", "time", "source"):
        if isinstance(record.get(key), bool) or not isinstance(record.get(key), str | int | None):
            return f"not a decision record ({key} is not text)"
    return None


def parse_when(text: str, end: bool = False) -> datetime:
    """A --since/--until bound: a date (the whole day) or an ISO date-time (UTC if no zone)."""
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            t = datetime.combine(d, time.min, tzinfo=UTC)
            if end:  # up to the end of that day; after the last day there is, no end at all
                return t + timedelta(days=1) if d < date.max else datetime.max.replace(tzinfo=UTC)
            return t
        t = datetime.fromisoformat(text)
    except ValueError:
        raise TriageError(f"not a date (YYYY-MM-DD) or ISO date-time: {text!r}") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def select(
    entries: Iterator[Entry],
    rule: str | None = None,
    disposition: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[Entry]:
    """The entries that pass every filter (``until`` is exclusive; ``disposition`` may be d:tf)."""
    d, _, tf = (disposition or "").partition(":")
    for e in entries:
        if rule is not None and rule not in (e.record.get("fired") or []):
            continue
        if disposition is not None:
            got_d, got_tf = e.outcome
            if got_d != d or (tf and got_tf != tf):
                continue
        if since is not None or until is not None:
            t = e.time
            if t is None or (since is not None and t < since) or (until is not None and t >= until):
                continue
        yield e


def summarise(entries: list[Entry]) -> dict[str, Any]:
    """Counts per outcome, per rule and per rule base, and the time span."""
    outcomes: Counter = Counter()
    rules: Counter = Counter()
    bases: Counter = Counter()
    times = [t for t in (e.time for e in entries) if t is not None]
    for e in entries:
        d, tf = e.outcome
        outcomes[f"{d}" + (f":{tf}" if tf else "")] += 1
        rules.update(set(e.record.get("fired") or []))
        rb = e.record.get("rulebase") or {}
        bases[f"{rb.get('name')} {rb.get('version')} {str(rb.get('sha256'))[:12]}"] += 1
    return {
        "records": len(entries),
        "first": min(times).isoformat(timespec="milliseconds") if times else None,
        "last": max(times).isoformat(timespec="milliseconds") if times else None,
        "dispositions": dict(outcomes.most_common()),
        "rules": dict(sorted(rules.items(), key=lambda kv: (-kv[1], kv[0]))),
        "rulebases": dict(bases.most_common()),
    }


def replay(entries: list[Entry], triage: Triage) -> dict[str, Any]:
    """Re-evaluate every record under ``triage``'s rule base; those whose decision would differ."""
    rb = triage.rulebase
    changed: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for e in entries:
        answers = e.record.get("answers")
        base = {
            "line": e.line,
            "time": e.record.get("time"),
            "id": e.record.get("id"),
            "rulebase": e.record.get("rulebase"),
        }
        try:
            if not isinstance(answers, dict):
                raise AnswerError("answers", "missing or not a mapping")
            canonical = {}
            for qid, value in answers.items():
                q = rb.questions.get(qid)
                if q is None:
                    raise AnswerError(qid, "not a question of the current rule base")
                if value is not None:
                    canonical[qid] = q.parse(value)
        except AnswerError as exc:
            failed.append({**base, "error": str(exc)})
            continue
        ev = triage.evaluate(canonical)
        was = e.outcome
        now_ = (ev.outcome.disposition, ev.outcome.timeframe)
        if now_ == was:
            continue
        old_fired = list(e.record.get("fired") or [])
        changed.append(
            {
                **base,
                "before": {"disposition": was[0], "timeframe": was[1], "fired": old_fired},
                "after": {"disposition": now_[0], "timeframe": now_[1], "fired": ev.fired},
                "now_fires": [r for r in ev.fired if r not in old_fired],
                "no_longer_fires": [r for r in old_fired if r not in ev.fired],
            }
        )
    return {
        "rulebase": rb.identity(),
        "records": len(entries),
        "changed": changed,
        "failed": failed,
    }
