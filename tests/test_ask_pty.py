"""Whole interviews through a real pseudo-terminal, as a person would type them."""

from __future__ import annotations

import io
import os
import re
import sys

import pytest

pexpect = pytest.importorskip("pexpect")

from conftest import ROOT  # noqa: E402

pytestmark = pytest.mark.slow  # whole interviews in a pseudo-terminal

# A pager that marks what it was given, so the test can see the advice went through it.
MARK_PAGER = f"{sys.executable} -c \"import sys; [print('PAGED|' + l, end='') for l in sys.stdin]\""


def spawn(*args, env=None, rows=40, cols=120):
    """``triage ask`` in a terminal; everything it shows is kept in ``child.logfile_read``."""
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PAGER", "LESS")}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "triage", "ask", *args],
        cwd=str(ROOT),
        encoding="utf-8",
        timeout=120,  # a cap on waiting for each state on a busy machine, never a sleep
        env={**base, "TERM": "xterm", **(env or {})},
        dimensions=(rows, cols),
    )
    child.logfile_read = io.StringIO()
    return child


def answer(child, pattern, text):
    child.expect(pattern)
    child.expect("> ")
    child.sendline(text)


def finish(child):
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


def test_a_grouped_screen_reaches_an_emergency_in_colour():
    child = spawn("--no-pager", "--region", "uk")
    answer(child, r"Step 1 of about \d+", "why 1")
    child.expect("Why we ask: This can mean the nerves at the base of the spine")
    child.expect("> ")
    child.sendline("1")  # numbness around the saddle area
    child.expect("Noted: yes to 1; no to the rest.")
    child.expect("EMERGENCY")
    child.expect("Call 999")
    out = child.before
    assert finish(child) == 0
    assert "\x1b[" in out  # colour on a terminal
    assert "Step 2" not in out


def test_a_narrow_terminal_gets_wrapped_screens_and_a_pager_for_the_long_advice():
    child = spawn(env={"PAGER": MARK_PAGER}, rows=24, cols=60)
    answer(child, "Step 1 of about", "none")
    answer(child, "Step 2 of about", "none")
    answer(child, "How old", "40")
    answer(child, "Are you pregnant", "n")
    answer(child, "Where is your pain", "lower back")
    answer(child, "How bad", "3/10")
    answer(child, "How long", "3 days")
    child.expect("That is 0.43 weeks.")
    answer(child, "What does it feel like", "stiffness, ache")
    answer(child, "A few more questions", "none")
    answer(child, "Which of these do you agree with", "none")
    child.expect("STRETCHING ROUTINE")
    child.expect("What to do now:")
    child.expect("PAGED\\|")  # the rest went through the pager
    child.expect("PAGED\\|.*Pelvic tilt")
    assert finish(child) == 0
    shown = child.logfile_read.getvalue().replace("\r", "")
    assert "Numb or tingling skin where a saddle would touch" in shown
    for line in shown.split("\n"):
        visible = re.sub(r"\x1b\[[0-9;]*m", "", line).replace("PAGED|", "")
        assert len(visible) <= 60, line


def test_ctrl_d_ends_without_a_result_and_exits_1(tmp_path):
    saved = tmp_path / "partial.yaml"
    child = spawn("--save", str(saved), env={"NO_COLOR": "1"})
    answer(child, "Step 1 of about", "none")
    child.expect("Step 2 of about")
    child.expect("> ")
    child.sendeof()
    child.expect("end of input")
    assert finish(child) == 1
    assert "Traceback" not in child.before
    assert "saddle_numbness: 'no'" in saved.read_text()


def test_ctrl_d_says_so_and_exits_1_as_the_help_and_readme_say(runner):
    child = spawn("--region", "uk", env={"NO_COLOR": "1"})
    child.expect("Step 1 of about")
    child.expect("> ")
    child.sendeof()
    child.expect(r"Interview ended without a result \(Ctrl-D, end of input\)")
    assert finish(child) == 1
    # What the person can read says the same: Ctrl-D is no result (1), Ctrl-C is 130.
    readme = " ".join((ROOT / "README.md").read_text().split())
    statuses = readme[readme.index("Exit status of `triage ask`") :]
    assert re.search(r"`1` no result: quit, Ctrl-D", statuses)
    assert re.search(r"`130` interrupted by Ctrl-C", statuses)
    from triage.cli import main

    helped = " ".join(runner.invoke(main, ["ask", "--help"]).output.split())
    assert "1 no result: quit, Ctrl-D" in helped
    assert "130 interrupted by Ctrl-C" in helped


def test_ctrl_c_exits_130_and_saves(tmp_path):
    saved = tmp_path / "partial.yaml"
    child = spawn("--save", str(saved), env={"NO_COLOR": "1"})
    answer(child, "Step 1 of about", "none")
    child.expect("Step 2 of about")
    child.expect("> ")
    child.sendintr()
    child.expect("Interview stopped")
    assert finish(child) == 130
    assert "Traceback" not in child.before
    assert "both_legs: 'no'" in saved.read_text()
