"""The progress line of ``triage batch``: on stderr, and only when a person is watching it.

When every input is a regular file, the total is known in bytes, so the line is a bar with a
percentage and the time left; from standard input it is a counter with the rate. Cases are
counted when their records are written, not when they are read (reading runs ahead of the
workers), so the bar shows work done.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Iterable, Iterator
from typing import TypeVar

import click

from ..cases import JsonLine, RawCase, expand_paths

T = TypeVar("T")
WIDTH = 24  # bar cells
EVERY = 0.2  # seconds between redraws


class Progress:
    """``watch`` the input items, ``tick`` as records are written, ``echo`` messages, ``done``."""

    def __init__(self, enabled: bool, paths: Iterable[str] = ()):
        self.enabled = enabled
        self.count = 0
        self.start = self.last = time.monotonic()
        files = list(expand_paths(paths)) if enabled else []
        known = files and all(p != "-" and os.path.isfile(p) for p in files)
        self.sizes = {p: os.path.getsize(p) for p in files} if known else {}
        self.total = sum(self.sizes.values()) if known else 0
        self.marks: deque[int] = deque()  # bytes read up to each case not yet written
        self.position = 0  # bytes read up to the last case written

    def watch(self, items: Iterable[T]) -> Iterator[T]:
        """Pass the items through, noting how far into the input each one ends."""
        if not (self.enabled and self.total):
            yield from items
            return
        done = offset = 0  # bytes of the files before the current one, and into the current
        current = None
        for item in items:
            source = getattr(item, "source", None)
            if source != current:
                done += self.sizes.get(current, 0) if current is not None else 0
                current, offset = source, 0
            size = self.sizes.get(current, 0)
            if isinstance(item, RawCase) and isinstance(item.raw, JsonLine):
                offset += len(item.raw.text)
            else:  # a case of a whole-document file, or an error naming it: the file is read
                offset = size
            self.marks.append(done + min(offset, size))
            yield item

    def tick(self, cases: int) -> None:
        """``cases`` more records written."""
        self.count += cases
        for _ in range(min(cases, len(self.marks))):
            self.position = self.marks.popleft()
        now = time.monotonic()
        if self.enabled and now - self.last >= EVERY:
            self.last = now
            click.echo("\r\x1b[K" + self.line(now - self.start), err=True, nl=False)

    def line(self, elapsed: float) -> str:
        """The progress line after ``elapsed`` seconds."""
        rate = self.count / max(elapsed, 1e-9)
        counter = f"{self.count:,} case(s)  {rate:,.0f}/s"
        if not self.total:
            return counter
        share = min(self.position / self.total, 1.0)
        filled = round(share * WIDTH)
        left = elapsed * (1 - share) / share if share else 0.0
        return (
            f"[{'#' * filled}{'.' * (WIDTH - filled)}] {share:>4.0%}  {counter}  "
            f"{int(left) // 60}:{int(left) % 60:02d} left"
        )

    def echo(self, message: str) -> None:
        """A message line, clearing the progress line first."""
        if self.enabled:
            click.echo("\r\x1b[K", err=True, nl=False)
        click.echo(message, err=True)

    def done(self) -> None:
        if self.enabled and self.count:
            elapsed = time.monotonic() - self.start
            click.echo(f"\r\x1b[K{self.count:,} case(s) evaluated in {elapsed:.1f} s", err=True)
