"""Standard output or error closed by the caller (``>&-``, ``2>&-``), in real processes: the
command ends as for a full disk, with one line where there is a stream left to write it on,
and exit status 4; never a traceback, never a silent success that wrote nothing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow  # processes with closed streams

CASE = str(ROOT / "cases" / "core" / "age-15.yaml")


def run(redirect: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """``python -m triage ARGS`` with ``redirect`` (such as ``>&-``) applied by a shell."""
    return subprocess.run(
        ["sh", "-c", f'exec "$0" "$@" {redirect}', sys.executable, "-m", "triage", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_a_closed_stdout_is_one_line_and_status_4():
    """One command is enough: every command meets a closed stream in the same place
    (``triage/cli/writing.py``)."""
    done = run(">&-", "batch", CASE)
    assert done.returncode == 4, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "it is closed" in lines[0], done.stderr


def test_a_closed_stderr_with_something_to_say_is_status_4():
    done = run("2>&-", "batch", "-", stdin=json.dumps({"answers": {"age": 500}}) + "\n")
    assert done.returncode == 4 and "Traceback" not in done.stdout


def test_a_closed_stderr_with_nothing_to_say_changes_nothing():
    done = run("2>&-", "batch", "-", stdin=json.dumps({"id": "a", "answers": {"age": 50}}) + "\n")
    assert done.returncode == 0
    assert json.loads(done.stdout)["id"] == "a"


def test_a_command_that_writes_elsewhere_runs_with_stdout_closed(tmp_path):
    out = tmp_path / "out.jsonl"
    done = run(">&-", "batch", "--format", "jsonl", "-o", str(out), CASE)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["id"] == "core-age-15"


def test_both_closed_is_status_4():
    assert run(">&- 2>&-", "batch", CASE).returncode == 4
