"""SIGTERM while a parallel batch reads its input: it stops, whenever between reads it came."""

from __future__ import annotations

import os
import signal

import pytest

from triage.cli.termination import Terminated, Termination

pytestmark = pytest.mark.slow  # signals to processes


def test_a_sigterm_between_two_reads_stops_before_the_next_read():
    term = Termination()

    def source():
        yield "first"
        raise AssertionError("read again after SIGTERM: it could wait for input for ever")

    with term.handling():
        items = term.watch(source())
        assert next(items) == "first"
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while nothing is being read: noted
        assert term.signum == signal.SIGTERM
        with pytest.raises(Terminated):
            next(items)
