"""SIGTERM during a parallel ``triage batch``: stop cleanly, so no worker or spool file is left.

Raising from a signal handler at an arbitrary point could land inside the process pool's own
code and leave it waiting for ever. So a first SIGTERM is only noted, and the run stops before
its next chunk; only while the run waits for input, where no pool code runs, does it stop at
once. A second SIGTERM stops the run at once, whatever it is doing.
"""

from __future__ import annotations

import signal
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
_END = object()


class Terminated(BaseException):
    """SIGTERM arrived while the run was waiting for input."""


class Termination:
    """``watch`` the input and run the batch inside ``handling``; then ``signum`` says if
    SIGTERM arrived (0 if not)."""

    def __init__(self) -> None:
        self.signum = 0
        self._reading = False

    @contextmanager
    def handling(self) -> Iterator[None]:
        """SIGTERM handled as the module says, unless it is ignored or this is not possible."""
        try:
            previous = signal.getsignal(signal.SIGTERM)
            if previous == signal.SIG_IGN:  # whoever started us asked for that
                yield
                return
            signal.signal(signal.SIGTERM, self._handler)
        except ValueError:  # not the main thread: signals are not ours to handle
            yield
            return
        try:
            yield
        finally:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)

    def watch(self, items: Iterable[T]) -> Iterator[T]:
        """``items``, with a SIGTERM that arrives while the next one is read stopping the run."""
        source = iter(items)
        while True:
            self._reading = True
            try:
                if self.signum:  # it came between two reads: stop before waiting on the next
                    raise Terminated
                item = next(source, _END)
            finally:
                self._reading = False
            if item is _END:
                return
            yield item  # type: ignore[misc]

    def _handler(self, signum: int, frame: object) -> None:
        self.signum = signum
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM stops the run at once
        if self._reading:
            raise Terminated
