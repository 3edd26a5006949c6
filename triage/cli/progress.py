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
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import click

from ..cases import CaseError, JsonLine, JsonLines, RawCase, units
from ..printable import printable

T = TypeVar("T")
WIDTH = 24  # bar cells
EVERY = 0.2  # seconds between redraws


class Progress:
    """``watch`` the input, ``tick`` as records are written, ``echo`` messages, then ``done``."""

    def __init__(self, enabled: bool, files: list[str | CaseError]):
        self.enabled = enabled
        self.count = 0
        self.start = self.last = time.monotonic()
        known = enabled and files and all(_sized(p) for p in files)
        self.sizes = (
            [os.path.getsize(p) if isinstance(p, str) else 0 for p in files] if known else []
        )
        self.total = sum(self.sizes)
        # (input units, bytes read up to its end) for each item read but not yet written
        self.marks: deque[tuple[int, int]] = deque()
        self.written = 0  # units written of the item at the head of ``marks``
        self.position = 0  # bytes read up to the last item written

    def watch(
        self, files: list[str | CaseError], read: Callable[[str | CaseError], Iterable[T]]
    ) -> Iterator[T]:
        """The items ``read`` gives for each file, noting how far into the input each ends."""
        if not self.total:
            for path in files:
                yield from read(path)
            return
        done = 0  # bytes in the files before this one
        for path, size in zip(files, self.sizes, strict=True):
            offset = 0
            lines = isinstance(path, str) and path.lower().endswith(".jsonl")
            for item in read(path):
                if isinstance(item, JsonLines):
                    offset += sum(map(_bytes, item.lines))
                elif lines and isinstance(item, RawCase) and isinstance(item.raw, JsonLine):
                    offset += _bytes(item.raw.text)
                elif not lines:  # a case of a whole-document file: the file has been read
                    offset = size
                self.marks.append((units(item), done + min(offset, size)))
                yield item
            done += size

    def tick(self, cases: int, covered: int | None = None) -> None:
        """``cases`` more records written, from ``covered`` input units (default: ``cases``)."""
        self.count += cases
        self.written += cases if covered is None else covered
        while self.marks and self.marks[0][0] <= self.written:
            self.written -= self.marks[0][0]
            self.position = self.marks.popleft()[1]
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
        """A message line (its control characters escaped), clearing the progress line first."""
        if self.enabled:
            click.echo("\r\x1b[K", err=True, nl=False)
        click.echo(printable(message), err=True)

    def done(self) -> None:
        """The last line: how many cases, in how long."""
        if self.enabled and self.count:
            elapsed = time.monotonic() - self.start
            click.echo(f"\r\x1b[K{self.count:,} case(s) evaluated in {elapsed:.1f} s", err=True)


def _sized(path: str | CaseError) -> bool:
    """Whether an input's size is known: a regular file (an error in place of one has none)."""
    return not isinstance(path, str) or (path != "-" and os.path.isfile(path))


def _bytes(line: str | bytes) -> int:
    return len(line) if isinstance(line, bytes) else len(line.encode("utf-8", "surrogatepass"))
