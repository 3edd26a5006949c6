"""Evaluating a stream of cases, in one process or several, always in input order.

Memory stays bounded: cases are read lazily and at most ``2 * jobs`` chunks are in flight.
Each worker process builds its engine once (engines cannot be pickled); only case data and
result records cross process boundaries.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from .cases import Case, CaseError
from .service import Triage

Item = Case | CaseError
CHUNK = 64

_worker: tuple[Triage, bool] | None = None


def evaluate_item(triage: Triage, item: Item, strict: bool) -> dict[str, Any]:
    """The output record for one input item: a result, or an error record."""
    if isinstance(item, CaseError):
        return item.record()
    record = triage.result(item)
    if strict and record["unanswered"]:
        missing = record["unanswered"]
        return CaseError(
            item.id,
            item.source,
            f"missing answers (strict mode): {', '.join(missing)}",
            f"answers.{missing[0]}",
        ).record()
    return record


def evaluate_stream(
    items: Iterable[Item], rules_dir: str | None, jobs: int = 1, strict: bool = False
) -> Iterator[tuple[Item, dict[str, Any]]]:
    """(input item, output record) pairs, in input order."""
    if jobs <= 1:
        triage = Triage.load(rules_dir)
        for item in items:
            yield item, evaluate_item(triage, item, strict)
        return
    ctx = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    )
    with ctx.Pool(jobs, initializer=_init, initargs=(rules_dir, strict)) as pool:
        pending: deque[tuple[list[Item], Any]] = deque()
        source = iter(items)
        while True:
            chunk = list(islice(source, CHUNK))
            if chunk:
                pending.append((chunk, pool.apply_async(_work, (chunk,))))
            while pending and (len(pending) >= 2 * jobs or not chunk):
                done_items, result = pending.popleft()
                yield from zip(done_items, result.get(), strict=True)
            if not chunk and not pending:
                return


def _init(rules_dir: str | None, strict: bool) -> None:
    global _worker
    _worker = (Triage.load(rules_dir), strict)


def _work(chunk: list[Item]) -> list[dict[str, Any]]:
    assert _worker is not None
    triage, strict = _worker
    return [evaluate_item(triage, item, strict) for item in chunk]
