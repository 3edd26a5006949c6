"""The audit log: one JSON line per decision, appended whole even from parallel processes,
and chained so that a changed, deleted, moved or inserted line shows.

Writing: the file is opened with ``O_APPEND`` and each record is one ``os.write`` of the
whole line under an exclusive ``flock`` (between processes) and a ``threading.Lock`` (between
the threads of one process, which share the file and so its ``flock``), so records never
interleave. If a killed writer left a partial last line, the next writer starts on a fresh
line, so the damage stays on that one line; a write that fails part-way (a full disk) is cut
off again, so the log holds whole lines. A log moved or deleted (rotated) is noticed, as
``logging.WatchedFileHandler`` notices it, by the path's device and inode: the next record
goes to a new file at the path. The log holds health answers: it is created readable and
writable by its owner only (0600).

The chain: each record's ``prev`` is the SHA-256 of the line before it (its bytes, without the
newline), read under the file lock; a file's first record has ``GENESIS``. ``verify`` finds
where the chain breaks. It proves that the lines were not changed one by one; it proves
nothing against whoever rewrites the whole file from the changed line on (there is no
signature and no anchor kept elsewhere, unless the last line's hash is kept elsewhere).

Reading is tolerant: a line that is not a whole JSON record (such as that partial line) is
skipped with a warning, never a crash.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from . import __version__
from .documents import DuplicateKeyError, unique_keys
from .errors import AnswerError, TriageError
from .service import Triage

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: O_APPEND alone still appends whole writes
    fcntl = None  # type: ignore[assignment]

ENV_VAR = "TRIAGE_AUDIT_LOG"
RECORD_KIND = "triage-decision"
#: The ``prev`` of a file's first record: no line came before it.
GENESIS = "0" * 64
#: How much of the file's end is read at a time to find the last line.
_BLOCK = 16384


def now() -> str:
    """The current time, UTC, ISO 8601 to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def decision_record(result: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The audit record of one result record: what was decided, on what answers, by what rules."""
    reasons = result.get("reasons", [])
    record: dict[str, Any] = {
        "kind": RECORD_KIND,
        "time": now(),
        "decision_id": result.get("decision_id") or uuid.uuid4().hex,
        "id": result.get("id"),
        "source": result.get("source"),
        "answers": result.get("answers", {}),
        "result": {
            "disposition": result.get("disposition"),
            "timeframe": result.get("timeframe"),
            "label": result.get("label"),
            # the rules that gave the outcome, and apart, those it overruled (less urgent)
            "reasons": [r.get("rule") for r in reasons if _decided(r, result)],
            "overruled": [r.get("rule") for r in reasons if not _decided(r, result)],
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


def _decided(reason: dict[str, Any], result: dict[str, Any]) -> bool:
    """A reason gave the outcome (``main``; a record without it: the same disposition)."""
    if "main" in reason:
        return bool(reason["main"])
    return (reason.get("disposition"), reason.get("timeframe")) == (
        result.get("disposition"),
        result.get("timeframe"),
    )


class AuditLog:
    """An append-only JSON Lines file of decisions; safe to share between processes."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self._fd: int | None = None
        self._lock = threading.Lock()  # flock does not separate threads sharing the file

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> AuditLog:
        """Open (creating) the file now, so that an unwritable path fails before any decision."""
        with self._lock:
            self._open()
        return self

    def _open(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        return self._fd

    def _moved(self, fd: int) -> bool:
        """The path no longer names the open file (moved or deleted: rotated)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return True
        own = os.fstat(fd)
        return (st.st_dev, st.st_ino) != (own.st_dev, own.st_ino)

    def close(self) -> None:
        """Close the file (the log stays usable: the next append reopens it)."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        """Append one record as one line, whole, chained to the line before it, even with
        other writers at the same time; return the record as written (with ``prev``).

        A write that fails (``OSError``: a full disk, say) leaves the log as it was.
        """
        with self._lock:
            for _ in range(3):  # a log rotated while we waited for its lock: the new file
                fd = self._open()
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    if not self._moved(fd):
                        return self._append_locked(fd, record)
                finally:
                    if fcntl is not None:
                        with contextlib.suppress(OSError):
                            fcntl.flock(fd, fcntl.LOCK_UN)
                self._close()  # rotated: the next turn opens (creates) the file at the path
            raise OSError(errno.EAGAIN, f"the audit log {self.path} keeps being moved")

    def _append_locked(self, fd: int, record: dict[str, Any]) -> dict[str, Any]:
        size = os.fstat(fd).st_size
        last = _last_line(fd, size)
        written_record = {"prev": GENESIS if last is None else _hash(last), **record}
        line = _line(written_record)
        if size and not _ends_line(fd, size):
            line = b"\n" + line  # a killed writer left a partial line: keep it apart
        try:
            written = os.write(fd, line)
            while written < len(line):  # only on a full disk or similar; still under the lock
                written += os.write(fd, line[written:])
        except OSError:
            with contextlib.suppress(OSError):  # cut off what part of the line went in
                os.ftruncate(fd, size)
            raise
        return written_record


def _ends_line(fd: int, size: int) -> bool:
    return os.pread(fd, 1, size - 1) == b"\n"


def _last_line(fd: int, size: int) -> bytes | None:
    """The file's last line, without its newline (a partial one too); None for an empty file."""
    if size == 0:
        return None
    pos = size - 1 if _ends_line(fd, size) else size
    tail = b""
    while pos > 0:
        start = max(0, pos - _BLOCK)
        block = os.pread(fd, pos - start, start)
        cut = block.rfind(b"\n")
        if cut >= 0:
            return block[cut + 1 :] + tail
        tail = block + tail
        pos = start
    return tail


def _hash(line: bytes) -> str:
    """A line's link in the chain: the SHA-256 of its bytes (without the newline)."""
    return hashlib.sha256(line).hexdigest()


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
        return log.append(entry)


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
            record, problem = _parse(raw)
            if problem is None:
                problem = _not_a_record(record)
            if problem is not None:
                if warn is not None:
                    warn(f"{path}: line {n}: {problem}; skipped")
                continue
            yield Entry(n, record)


class _NotJson(ValueError):
    """A constant JSON does not have (``NaN``, ``Infinity``)."""


def _no_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON value")


def _parse(raw: bytes) -> tuple[Any, str | None]:
    """A line's JSON, or why it is none: a duplicate key or a ``NaN`` is refused, as in any
    document the program reads (a second ``disposition`` must not hide the first)."""
    try:
        return json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=unique_keys,
            parse_constant=_no_constant,
        ), None
    except RecursionError:
        return None, "nested too deeply"
    except (DuplicateKeyError, _NotJson) as exc:
        return None, str(exc)
    except (UnicodeDecodeError, ValueError):
        return None, "incomplete or invalid JSON (a writer killed mid-write?)"


def find_decision(
    path: str | os.PathLike[str],
    line: int | None = None,
    decision_id: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> Entry | None:
    """The record on ``line``, or the one whose ``decision_id`` (or else, if only one
    record has it, whose case ``id``) is ``decision_id``; None if there is none."""
    by_case: list[Entry] = []
    for e in read_log(path, warn if line is None else None):
        if line is not None:
            if e.line == line:
                return e
            if e.line > line:
                break
        elif e.record.get("decision_id") == decision_id:
            return e
        elif str(e.record.get("id")) == decision_id:
            by_case.append(e)
    if line is not None and warn is not None:
        # the line itself is broken: say why, as the summary would
        for problem in _line_problems(path, line):
            warn(problem)
    return by_case[0] if len(by_case) == 1 else None


def _line_problems(path: str | os.PathLike[str], line: int) -> list[str]:
    out: list[str] = []
    for e in read_log(path, out.append):
        if e.line >= line:
            break
    return [p for p in out if f": line {line}: " in p]


def is_log(path: str | os.PathLike[str]) -> bool:
    """The file's first line is a decision record (so it is an audit log, not cases)."""
    try:
        with open(path, "rb") as fh:
            first = fh.readline(1 << 20)
    except OSError:
        return False
    record, problem = _parse(first)
    return problem is None and isinstance(record, dict) and record.get("kind") == RECORD_KIND


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


def verify(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Check the log's chain: every line a whole decision record whose ``prev`` is the hash
    of the line before it (``GENESIS`` for the first). Each line that breaks it is listed,
    with what its ``prev`` points at, so that a changed, deleted, moved or inserted line
    shows where it is. ``last_hash``: the last line's hash, to keep elsewhere (the chain
    alone cannot show a changed or removed last line)."""
    with open(path, "rb") as fh:  # two passes: memory for the hashes, not for the lines
        hashes = [_hash(_body(raw)) for raw in fh]
        cut_off = bool(hashes) and not _file_ends_line(fh)
        where = {h: n for n, h in reversed(list(enumerate(hashes, 1)))}  # the first
        breaks: list[dict[str, Any]] = []
        fh.seek(0)
        for n, raw in enumerate(fh, 1):
            problem = _chain_problem(n, _body(raw), hashes, where)
            if problem is None and n == len(hashes) and cut_off:
                problem = "the last line has no newline (a writer killed mid-write, or cut off)"
            if problem is not None:
                breaks.append({"line": n, "problem": problem})
    return {
        "file": str(path),
        "lines": len(hashes),
        "records": len(hashes) - len(breaks),
        "breaks": breaks,
        "last_hash": hashes[-1] if hashes else None,
    }


def _body(raw: bytes) -> bytes:
    return raw[:-1] if raw.endswith(b"\n") else raw


def _file_ends_line(fh: Any) -> bool:
    fh.seek(-1, os.SEEK_END)
    return fh.read(1) == b"\n"


def _chain_problem(n: int, line: bytes, hashes: list[str], where: dict[str, int]) -> str | None:
    """Why line ``n`` is not a record chained to line ``n - 1``, or None."""
    if not line.strip():
        return "a blank line, not a record"
    record, problem = _parse(line)
    if problem is None:
        problem = _not_a_record(record)
    if problem is not None:
        return problem
    prev = record.get("prev")
    expected = hashes[n - 2] if n > 1 else GENESIS
    if prev == expected:
        return None
    if not isinstance(prev, str):
        return "no 'prev': not chained (written before chaining began, or added)"
    before = "the start of the file" if n == 1 else f"line {n - 1}"
    if prev == GENESIS:
        points = "it is the start of a file: lines before it were added, or it was moved"
    elif prev in where:
        points = f"it follows line {where[prev]}: lines were moved, deleted or inserted"
    else:
        points = (
            "it follows no line of the file: the line before it was changed or deleted, "
            "or this one was inserted"
        )
    return f"the chain breaks: 'prev' does not match {before} ({points})"


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
