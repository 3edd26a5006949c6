"""What stays on a real terminal's screen when the interview ends: the decision and the next step.

Each test types a whole interview into ``triage ask`` through a pseudo-terminal of a given
size, and feeds everything the program wrote into a terminal emulator (pyte), which models the
visible screen exactly: scrolling, the pager's clearing and redrawing, cursor moves.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import sys

import pytest

pexpect = pytest.importorskip("pexpect")
pyte = pytest.importorskip("pyte")

from conftest import ROOT  # noqa: E402

pytestmark = pytest.mark.slow  # whole interviews in a pseudo-terminal

LESS_PROMPT = r"\n:\x1b\[K"  # less waiting for a key, at the bottom of its first page
_LOCALE = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE", "TRIAGE_REGION")


def need_less() -> None:
    """Skip without less, saying so; under CI=true that is a failure (.ci/run installs it)."""
    if shutil.which("less") is None:
        message = "less not found (apt-get install less)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; under CI=true the pager tests must run")
        pytest.skip(message)


def spawn(*args: str, rows: int, cols: int, env: dict[str, str]) -> pexpect.spawn:
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PAGER", "LESS", *_LOCALE)}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "triage", "ask", *args],
        cwd=str(ROOT),
        encoding="utf-8",
        timeout=120,  # a cap on waiting for each state on a busy machine, never a sleep
        env={**base, "TERM": "xterm", **env},
        dimensions=(rows, cols),
    )
    child.logfile_read = io.StringIO()
    return child


def interview(child: pexpect.spawn, answers: list[tuple[str, str]]) -> None:
    for pattern, text in answers:
        child.expect(pattern)
        child.expect("> ")
        child.sendline(text)


_HOW = re.compile(
    r"Type (the numbers of any|y \(yes\)|a number or a name|the numbers or names"
    r"|a whole number|a number of weeks|a number)"
)


def calm(child: pexpect.spawn, triage) -> str:
    """Answer every screen as a person with a mild ache and nothing alarming would (none, no,
    lower back, 40 years, 3 out of 10, 3 days, aching), whatever screens the rule base asks;
    the start of the result's banner, once it shows."""
    banners = [o.label.upper()[:20] for o in triage.rulebase.outcomes]
    ends = "|".join(re.escape(b) for b in banners)
    for _ in range(60):  # bounded: no interview has this many screens
        if child.expect([_HOW, ends]) == 1:
            return child.match.group(0)
        how, before = child.match.group(1), child.before[-600:]
        if how == "the numbers of any":
            text = "none"
        elif how.startswith("y "):
            text = "n"
        elif how == "a number or a name":
            text = "lower back" if "Lower back" in before else "1"
        elif how == "the numbers or names":
            text = "aching" if "Aching" in before else "none"
        elif "old" in before:
            text = "40"
        elif "How bad" in before:
            text = "3"
        elif how == "a number of weeks":
            text = "3 days"
        else:
            text = re.search(r"from (\d+)", child.buffer + before).group(1)
        child.expect("> ")
        child.sendline(text)
    raise AssertionError("no result after 60 screens")


def screen(child: pexpect.spawn, rows: int, cols: int) -> str:
    """The visible screen now, as a terminal would show it: one string, rows joined."""
    emulated = pyte.Screen(cols, rows)
    pyte.Stream(emulated).feed(child.logfile_read.getvalue())
    return "\n".join(line.rstrip() for line in emulated.display)


def flat(text: str) -> str:
    """Words joined whatever the wrapping: compare sentences across wrapped lines."""
    return " ".join(text.split())


def ended(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


@pytest.mark.parametrize(("rows", "cols"), [(24, 80), (20, 60)])
def test_through_less_the_decision_is_first_and_last_on_screen(triage, rows, cols):
    need_less()
    child = spawn(rows=rows, cols=cols, env={"PAGER": "less", "LANG": "en_GB.UTF-8"})
    banner = calm(child, triage)
    child.expect(LESS_PROMPT)
    first_page = screen(child, rows, cols)
    assert banner in first_page  # the pager starts at the top: the decision first
    assert "What to do now:" in first_page
    child.send("G")  # read to the end, as a person paging through would
    child.expect(r"\(END\)")
    child.send("q")
    assert ended(child) == 0
    last = screen(child, rows, cols)
    assert banner in last, last
    assert "What to do now:" in last, last
    assert "are for: United Kingdom" in flat(last), last


@pytest.mark.parametrize(("rows", "cols"), [(24, 80), (20, 60)])
def test_without_a_pager_the_decision_is_on_screen_at_the_end(triage, rows, cols):
    child = spawn("--no-pager", rows=rows, cols=cols, env={"LANG": "en_US.UTF-8"})
    banner = calm(child, triage)
    assert ended(child) == 0
    last = screen(child, rows, cols)
    assert banner in last, last
    assert "What to do now:" in last, last
    assert "are for: United States" in flat(last), last


def test_any_pager_leaves_the_decision_on_screen(triage):
    """A pager that just prints (as ``cat`` or ``more`` on a short text do)."""
    child = spawn(rows=20, cols=60, env={"PAGER": "cat", "LANG": "C.UTF-8"})
    banner = calm(child, triage)
    assert ended(child) == 0
    last = screen(child, 20, 60)
    assert banner in last, last
    assert "What to do now:" in last
    assert "language setting does not say which" in flat(last), last


def test_an_emergency_with_the_whole_result_on_screen_is_said_once():
    child = spawn("--region", "uk", rows=50, cols=100, env={"PAGER": "cat"})
    interview(child, [("Step 1 of about", "4")])  # chest pain
    assert ended(child) == 0
    shown = child.logfile_read.getvalue()
    assert shown.count("EMERGENCY: GET HELP NOW") == 1
    last = screen(child, 50, 100)
    assert "EMERGENCY: GET HELP NOW" in last
    assert "Call 999" in last


def test_a_very_short_terminal_keeps_the_decision_and_the_number_on_screen():
    need_less()
    child = spawn("--region", "uk", rows=12, cols=60, env={"PAGER": "less"})
    interview(child, [("Step 1 of about", "4")])  # chest pain
    child.expect(LESS_PROMPT)
    child.send("G")
    child.expect(r"\(END\)")
    child.send("q")
    assert ended(child) == 0
    last = screen(child, 12, 60)
    assert "EMERGENCY: GET HELP NOW. CALL AN AMBULANCE OR GO TO A\n HOSPITAL" in last
    assert "Call 999. Or go to an emergency department" in flat(last), last
