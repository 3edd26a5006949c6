"""A whole interview through a real pseudo-terminal, as a person would type it."""

from __future__ import annotations

import os
import sys

import pytest

pexpect = pytest.importorskip("pexpect")

from conftest import ROOT  # noqa: E402


def spawn(*args, env=None):
    child = pexpect.spawn(
        sys.executable,
        ["-m", "triage", "ask", *args],
        cwd=str(ROOT),
        encoding="utf-8",
        timeout=30,
        env={**os.environ, "TERM": "xterm", **(env or {})},
        dimensions=(50, 120),
    )
    return child


def answer(child, pattern, text):
    child.expect(pattern)
    child.expect("> ")
    child.sendline(text)


def test_interview_in_a_terminal_reaches_an_emergency_in_colour():
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "triage", "ask"],
        cwd=str(ROOT),
        encoding="utf-8",
        timeout=30,
        env={**env, "TERM": "xterm"},
        dimensions=(50, 120),
    )
    answer(child, "Where is your pain mainly", "1")
    answer(child, "How bad", "6")
    answer(child, "How many weeks", "0.5")
    answer(child, "What does it feel like", "stiffness")
    answer(child, "How old", "44")
    answer(child, "genitals, buttocks", "why")
    child.expect("Rule ces-saddle-numbness")
    child.expect("> ")
    child.sendline("n")
    answer(child, "bladder", "n")
    answer(child, "both legs", "n")
    answer(child, "serious accident", "y")
    child.expect("EMERGENCY")
    before = child.before
    child.expect(pexpect.EOF)
    assert "\x1b[" in before + child.before  # colour on a terminal
    child.close()
    assert child.exitstatus == 0


def test_ctrl_c_exits_cleanly_and_saves(tmp_path):
    saved = tmp_path / "partial.yaml"
    child = spawn("--save", str(saved), env={"NO_COLOR": "1"})
    answer(child, "Where is your pain mainly", "3")
    child.expect("How bad")
    child.expect("> ")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert "Traceback" not in child.before
    assert child.exitstatus == 130
    assert "location: lower_back" in saved.read_text()
