"""Evaluating a stream of cases, in one process or several, always in input order.

Memory stays bounded: cases are read lazily and at most ``2 * jobs`` chunks (never more than
``MAX_IN_FLIGHT`` cases) are read ahead: ``2 * jobs - 1`` with the workers and one held back to
learn where the input ends (with, at most, the rest of a block of lines cut to fit it). The
last chunk is cut into small pieces, so the workers finish together instead of one doing a
whole chunk alone at the end.

Each worker process builds its engine once (engines cannot be pickled). A worker does all the
per-case work for a chunk of consecutive cases: it parses and validates each raw case,
evaluates it, checks it against its ``expect`` and encodes the records as one block of UTF-8.
For JSON output the parent then only reads lines, writes bytes and adds up counts: with as many
workers as cores, it shares a core with a worker, so whatever it does per case is time the
workers lose.

A worker leaves its chunk in a spool file rather than sending it back through the pool's pipe.
The records with the full audit trail are about 9 KB a case; through a pipe, the parent spent
a third of its time receiving them (64 KB per read, each wake-up taking the GIL, then copies
for the message and the unpickling). From a file it is one read. And the pipe then carries
only messages small enough to go whole, so a worker killed mid-send cannot leave the pool
waiting for the rest of one. There is one file per chunk in flight, written over rather than
made anew, so its pages are not allocated again.

What only workers need (multiprocessing, the process pool, the spool, pickle) is imported when
there are workers: with one process, ``triage batch`` starts without it.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Collection, Generator, Iterable, Iterator
from contextlib import ExitStack
from itertools import pairwise
from typing import TYPE_CHECKING, Any, NamedTuple

from .cases import Case, CaseError, JsonLine, JsonLines, RawCase, parse_raw, units, validate_case
from .service import Triage, check_expectation

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from .formats import Encoding

Item = Case | CaseError | RawCase | JsonLines
CHUNK = 256  # cases per task: fewer, larger tasks keep the parent's share of the CPU small
MAX_IN_FLIGHT = 8192  # cases read ahead at most, whatever --jobs is, so memory stays bounded


class Chunk(NamedTuple):
    """Consecutive input cases, evaluated: what a front end writes, counts and reports."""

    size: int  # input cases (each gave exactly one record)
    units: int  # input units covered (see ``cases.units``): lines for JSON Lines, else cases
    data: bytes  # their records encoded, in order, when an encoder was given and no notes
    parts: list[bytes]  # with notes: each record encoded on its own, so notes can follow it
    records: list[dict[str, Any]]  # their records cut to ``keep``, in order (none if keep is empty)
    notes: list[tuple[int, str]]  # (record index, line) per error record and per mismatch
    errors: int  # error records
    checked: int  # cases that had an ``expect`` (when checking)
    failed: int  # of those, cases whose result differed
    mismatches: int  # differences found, all cases together


class _Options(NamedTuple):
    strict: bool
    check: bool
    encode: Encoding | None
    keep: frozenset[str] | None
    region: str | None = None


def evaluate_chunk(triage: Triage, items: list[Item], options: _Options) -> Chunk:
    """Parse, validate, evaluate, check and encode consecutive input items.

    Each record is encoded as soon as it is made, and kept only as far as ``keep`` asks.
    """
    encode, keep = options.encode, options.keep
    records: list[dict[str, Any]] = []
    parts: list[bytes] = []
    notes: list[tuple[int, str]] = []
    size = errors = checked = failed = mismatches = 0
    for index, item in enumerate(_cases(items)):
        size += 1
        item = prepare(triage, item)
        if isinstance(item, Case):
            try:
                record = triage.result(item, region=options.region)
            except Exception as exc:  # a bug must not take the other cases' records with it
                item = CaseError(item.id, item.source, f"internal error: {exc!r}")
            else:
                missing = record["unanswered"]
                if options.strict and missing:
                    item = CaseError(
                        item.id,
                        item.source,
                        f"missing answers (strict mode): {', '.join(missing)}",
                        f"answers.{missing[0]}",
                    )
        if isinstance(item, CaseError):
            record = item.record()
            errors += 1
            notes.append((index, f"error: {item.line()}"))
        elif options.check and item.expect:
            checked += 1
            problems = check_expectation(item, record)
            failed += bool(problems)
            mismatches += len(problems)
            notes.extend((index, _mismatch_line(item, p)) for p in problems)
        if encode:
            parts.append(encode.one(record))
        if keep is None:
            records.append(record)
        elif keep:
            records.append({k: v for k, v in record.items() if k in keep})
    covered = sum(map(units, items))
    data = b""
    if encode and not notes:  # with notes, each record stays apart, so its notes can follow it
        data, parts = encode.separator.join(parts), []
    return Chunk(size, covered, data, parts, records, notes, errors, checked, failed, mismatches)


def _cases(items: list[Item]) -> Iterator[Case | CaseError | RawCase]:
    for item in items:
        if isinstance(item, JsonLines):
            yield from item.cases()
        else:
            yield item


def prepare(triage: Triage, item: Case | CaseError | RawCase) -> Case | CaseError:
    """A raw case parsed and validated; a case or an error as it is."""
    if isinstance(item, RawCase):
        item = parse_raw(item)
    if isinstance(item, RawCase):
        item = validate_case(item.raw, triage.rulebase, source=item.source, default_id=item.id)
    return item


def _mismatch_line(case: Case, problem: dict[str, Any]) -> str:
    return (
        f"mismatch: {case.source}: case '{case.id}': {problem['field']}: "
        f"expected {problem['expected']}, got {problem['actual']}"
    )


def evaluate_chunks(
    items: Iterable[Item],
    rules_dir: str | None,
    jobs: int = 1,
    strict: bool = False,
    *,
    check: bool = False,
    encode: Encoding | None = None,
    keep: Collection[str] | None = None,
    region: str | None = None,
) -> Generator[Chunk, None, None]:
    """The input items evaluated, a chunk at a time, in input order.

    ``encode`` (a module-level function, so workers can receive it) turns a chunk's records
    into bytes in the worker; ``keep`` then names the record fields the caller still needs, so
    only those cross back to this process. In one process, chunks hold one case each, so
    nothing is read ahead.
    """
    options = _Options(strict, check, encode, frozenset(keep) if keep is not None else None, region)
    triage = Triage.load(rules_dir)
    if jobs <= 1:  # nothing crosses a process boundary: keep the records whole
        whole = options._replace(keep=None)
        for item in items:
            yield evaluate_chunk(triage, [item], whole)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    fork = "fork" in multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if fork else "spawn")
    if fork:  # forked workers inherit the compiled engine instead of each compiling it
        triage.engine.warm()
    with ExitStack() as stack:
        if fork:  # and the collector leaves what they inherit alone, so its pages stay shared
            import gc

            gc.freeze()
            stack.callback(gc.unfreeze)  # (this process may go on to other things)
        # Workers leave encoded records here (see the module's docstring); removed at the end,
        # after the pool has shut down, whatever the way out.
        spool = _spool(stack)
        # An executor rather than a multiprocessing.Pool: when a worker dies (killed, out of
        # memory), a Pool quietly starts another and waits for the lost chunk for ever.
        pool = ProcessPoolExecutor(
            jobs, mp_context=ctx, initializer=_init, initargs=(rules_dir, options)
        )
        # Never kill workers: one killed while it sends a result can leave a lock taken and
        # the pool hung. What is in flight is bounded; let it finish.
        stack.callback(pool.shutdown, wait=True, cancel_futures=True)
        try:
            yield from _dispatch(pool, spool, jobs, (_flat(triage, item) for item in items))
        except BrokenProcessPool:  # from a result, or from the next submit
            raise WorkerDied(
                "a worker process stopped unexpectedly (killed, out of memory, or could not start)"
            ) from None


def _spool(stack: ExitStack) -> str:
    """A new spool directory, removed when ``stack`` closes (and, should this run be killed
    outright, by the next run: triage/spool.py); "" if there is no usable one."""
    from .spool import make_spool

    return make_spool(stack)


def _dispatch(
    pool: ProcessPoolExecutor, spool: str, jobs: int, items: Iterator[Item]
) -> Iterator[Chunk]:
    """Chunks of ``items`` sent to the workers, their results yielded back in input order."""
    size = chunk_size(jobs)

    rest: list[JsonLines] = []  # the lines of a block that did not fit in the last chunk

    def read() -> tuple[list[Item], int]:
        """The next chunk: items worth ``size`` units (a block of lines is cut to fit), or
        fewer at the end of the input."""
        chunk: list[Item] = []
        weight = 0
        while weight < size:
            item = rest.pop() if rest else next(items, None)
            if item is None:
                break
            if isinstance(item, JsonLines) and len(item.lines) > size - weight:
                item, over = item.cut(size - weight)
                rest.append(over)
            chunk.append(item)
            weight += units(item)
        return chunk, weight

    pending: deque[Future[Chunk | Spooled]] = deque()
    seq = 0
    chunk, weight = read()
    while chunk:
        ahead, weight = read() if weight >= size else ([], 0)
        if weight < size:  # a short read: the input has ended
            # The last chunk and what is left go in small pieces, so that the workers finish
            # together, rather than one waiting while another does a whole chunk alone.
            pieces, ahead = _pieces(_lines(chunk + ahead), max(1, size // 8)), []
        else:
            pieces = [chunk]
        for piece in pieces:
            # 2 * jobs - 1 tasks at most are in flight (plus the chunk read ahead), and the
            # one 2 * jobs before this has been read back: its spool file is free.
            slot = os.path.join(spool, str(seq % (2 * jobs))) if spool else ""
            pending.append(pool.submit(_work, slot, piece))
            seq += 1
            while len(pending) >= 2 * jobs - 1:
                yield _unspool(pending.popleft().result())
        chunk = ahead
    while pending:
        yield _unspool(pending.popleft().result())


def _flat(triage: Triage, item: Item) -> Item:
    """A whole-document case (parsed already) validated, so workers get flat answers.

    A deeply nested document cannot be pickled; its validation error can.
    """
    if isinstance(item, RawCase) and not isinstance(item.raw, JsonLine):
        return prepare(triage, item)
    return item


def _lines(items: list[Item]) -> list[Item]:
    """Items with each block of lines cut into one block per line."""
    return [
        one for item in items for one in (item.split() if isinstance(item, JsonLines) else [item])
    ]


def _pieces(items: list[Item], most: int) -> list[list[Item]]:
    """``items`` cut into consecutive pieces of nearly equal size, none over ``most``."""
    n = -(-len(items) // most)
    step, extra = divmod(len(items), n)
    cuts = [i * step + min(i, extra) for i in range(n + 1)]
    return [items[a:b] for a, b in pairwise(cuts)]


def chunk_size(jobs: int) -> int:
    """Cases per task for ``jobs`` workers, with ``2 * jobs`` chunks read ahead."""
    return max(1, min(CHUNK, MAX_IN_FLIGHT // (2 * jobs)))


class WorkerDied(RuntimeError):
    """A worker process stopped before it returned its chunk."""


class Spooled(NamedTuple):
    """Where a worker left a chunk: its pickled fields but ``data``, then ``data`` as is."""

    path: str
    fields: int  # bytes of pickle
    data: int  # bytes of encoded records


def _unspool(result: Chunk | Spooled) -> Chunk:
    """A worker's chunk, read back from its spool file if it left it there."""
    if isinstance(result, Chunk):
        return result
    with open(result.path, "rb") as fh:
        fields = fh.read(result.fields)
        data = fh.read(result.data)
    if len(fields) != result.fields or len(data) != result.data:
        raise OSError(f"spool file {result.path} was cut short")
    import pickle

    # Our own worker wrote this file, in a directory only we can write to.
    chunk: Chunk = pickle.loads(fields)
    return chunk._replace(data=data)


_worker: tuple[Triage, _Options] | None = None


def _init(rules_dir: str | None, options: _Options) -> None:
    global _worker
    import multiprocessing
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # whatever the parent does with it
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_orphaned, args=(parent.sentinel,), daemon=True).start()
    _worker = (Triage.load(rules_dir), options)


def _orphaned(sentinel: int) -> None:
    """End this worker once its parent is gone (killed outright, say).

    A worker waits for its next chunk on a pipe that it holds open itself, so without this it
    would wait for ever, holding its memory and the parent's stderr.
    """
    import multiprocessing.connection

    multiprocessing.connection.wait([sentinel])
    os._exit(1)


def _work(slot: str, items: list[Item]) -> Chunk | Spooled:
    """Evaluate a chunk; leave it in the spool file ``slot``, if given.

    What goes back through the pool's pipe is then a message of a few dozen bytes, which a
    pipe takes whole. A worker killed while it wrote a large result there would leave half a
    message, and the pool would wait for the rest for ever.
    """
    assert _worker is not None
    triage, options = _worker
    chunk = evaluate_chunk(triage, items, options)
    if not slot:
        return chunk
    import pickle

    fields = pickle.dumps(chunk._replace(data=b""), protocol=pickle.HIGHEST_PROTOCOL)
    try:  # no O_TRUNC: the file keeps its pages, and only its first bytes are read
        flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0)  # no newline mangling
        with os.fdopen(os.open(slot, flags, 0o600), "wb") as fh:
            fh.write(fields)
            fh.write(chunk.data)
    except OSError:  # a full or vanished temporary directory: send it all after all
        return chunk
    return Spooled(slot, len(fields), len(chunk.data))
