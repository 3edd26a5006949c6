"""Evaluating a stream of cases, in one process or several, always in input order.

Memory stays bounded: cases are read lazily and at most ``2 * jobs`` chunks (never more than
``MAX_IN_FLIGHT`` cases) are in flight.
Each worker process builds its engine once (engines cannot be pickled). A worker does all the
per-case work: it parses and validates the raw case, evaluates it, checks it against its
``expect`` and encodes the record; the parent only reads lines, writes text and counts. With as
many workers as cores, the parent shares a core with a worker, so whatever it does per case is
time the workers lose.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from itertools import islice
from typing import Any, NamedTuple

from .cases import Case, CaseError, RawCase, parse_raw, validate_case
from .service import Triage, check_expectation

Item = Case | CaseError | RawCase
Encoder = Callable[[dict[str, Any]], str]
CHUNK = 256  # cases per task: fewer, larger tasks keep the parent's share of the CPU small
MAX_IN_FLIGHT = 8192  # cases read ahead at most, whatever --jobs is, so memory stays bounded


class Evaluated(NamedTuple):
    """One input case, evaluated: what a front end writes, counts and reports."""

    record: dict[str, Any]  # the result or error record, cut to ``keep`` when one was given
    text: str | None  # the whole record already encoded, when an encoder was given
    error: str | None  # for an error record: one line naming the file, the case and the field
    checked: bool  # the case had an ``expect`` and checking was asked for
    problems: list[dict[str, Any]]  # how the result differs from ``expect``


class _Options(NamedTuple):
    strict: bool
    check: bool
    encode: Encoder | None
    keep: Collection[str] | None


def evaluate_item(triage: Triage, item: Item, options: _Options) -> Evaluated:
    """Validate (a raw case), evaluate, check and encode one input item."""
    if isinstance(item, RawCase):
        item = parse_raw(item)
    if isinstance(item, RawCase):
        item = validate_case(item.raw, triage.rulebase, source=item.source, default_id=item.id)
    if isinstance(item, Case):
        record = triage.result(item)
        missing = record["unanswered"]
        if options.strict and missing:
            item = CaseError(
                item.id,
                item.source,
                f"missing answers (strict mode): {', '.join(missing)}",
                f"answers.{missing[0]}",
            )
    if isinstance(item, CaseError):
        record, error, checked, problems = item.record(), item.line(), False, []
    else:
        error = None
        checked = options.check and bool(item.expect)
        problems = check_expectation(item, record) if checked else []
    text = options.encode(record) if options.encode else None
    if options.keep is not None:
        record = {k: v for k, v in record.items() if k in options.keep}
    return Evaluated(record, text, error, checked, problems)


def evaluate_stream(
    items: Iterable[Item],
    rules_dir: str | None,
    jobs: int = 1,
    strict: bool = False,
    *,
    check: bool = False,
    encode: Encoder | None = None,
    keep: Collection[str] | None = None,
) -> Iterator[Evaluated]:
    """One ``Evaluated`` per input item, in input order.

    ``encode`` (a module-level function, so workers can receive it) turns each whole record
    into text in the worker; ``keep`` then names the record fields the caller still needs, so
    only those cross back to this process.
    """
    options = _Options(strict, check, encode, frozenset(keep) if keep is not None else None)
    if jobs <= 1:
        triage = Triage.load(rules_dir)
        for item in items:
            yield evaluate_item(triage, item, options)
        return
    ctx = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    )
    with ctx.Pool(jobs, initializer=_init, initargs=(rules_dir, options)) as pool:
        pending: deque[Any] = deque()
        source = iter(items)
        size = chunk_size(jobs)
        while True:
            chunk = list(islice(source, size))
            if chunk:
                pending.append(pool.apply_async(_work, (chunk,)))
            while pending and (len(pending) >= 2 * jobs or not chunk):
                yield from pending.popleft().get()
            if not chunk and not pending:
                return


def chunk_size(jobs: int) -> int:
    """Cases per task for ``jobs`` workers, with ``2 * jobs`` tasks in flight."""
    return max(1, min(CHUNK, MAX_IN_FLIGHT // (2 * jobs)))


_worker: tuple[Triage, _Options] | None = None


def _init(rules_dir: str | None, options: _Options) -> None:
    global _worker
    _worker = (Triage.load(rules_dir), options)


def _work(chunk: list[Item]) -> list[Evaluated]:
    assert _worker is not None
    triage, options = _worker
    return [evaluate_item(triage, item, options) for item in chunk]
