"""A parallel ``triage batch`` killed outright (SIGKILL) leaves its spool of result records,
with people's answers, behind; the next run removes it, and never the spool of a live run."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from triage.spool import LOCK, PREFIX, clear_stale

pytestmark = pytest.mark.slow  # kills processes

DEADLINE = 120  # seconds for a state to be reached on a busy machine; never slept through


def spools(tmp: Path) -> list[Path]:
    return sorted(p for p in tmp.iterdir() if p.name.startswith(PREFIX))


def wait_until(check, what: str):
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def lock_is_free(spool: Path) -> bool:
    fd = os.open(spool / LOCK, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def batch(tmp: Path, *args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": str(tmp)}
    return subprocess.Popen(
        [sys.executable, "-m", "triage", "batch", "--jobs", "2", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        **kwargs,
    )


def test_the_spool_of_a_killed_run_is_removed_by_the_next(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    cases = tmp_path / "cases.jsonl"
    line = json.dumps({"answers": {"age": 40, "location": "neck", "fever": "yes"}})
    cases.write_text((line + "\n") * 30_000)
    run = batch(tmp, str(cases))
    try:
        # a worker has left a chunk of records in the spool
        spool = wait_until(
            lambda: next((s for s in spools(tmp) if any(s.glob("[0-9]*"))), None), "a spool file"
        )
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=DEADLINE)
        wait_until(lambda: lock_is_free(spool), "the workers to end")
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        run.stderr.close()
    assert spools(tmp) == [spool]  # what the issue found: records left behind
    assert any(f.stat().st_size > 0 for f in spool.glob("[0-9]*"))
    after = batch(tmp, "-", stdin=subprocess.PIPE)
    after.communicate(b'{"answers": {}}\n', timeout=DEADLINE)
    assert after.returncode == 0
    assert spools(tmp) == []  # the dead run's spool, and the new run's own, are gone


def test_the_spool_of_a_live_run_is_left_alone(tmp_path):
    live = tmp_path / f"{PREFIX}1-live"
    live.mkdir()
    fd = os.open(live / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    older = tmp_path / f"{PREFIX}older-version"  # no lock file: not ours to judge
    older.mkdir()
    try:
        assert clear_stale(str(tmp_path)) == []
        assert live.exists() and older.exists()
    finally:
        os.close(fd)  # the run ends without cleaning up: now it is a dead run's
    assert clear_stale(str(tmp_path)) == [str(live)]
    assert not live.exists() and older.exists()
