"""`triage ask` never hides the result behind a write that fails, and never shows a traceback.

``--save`` and ``--audit-log`` are checked before the first question; a write that still fails
at the end comes after the result, as one line, with exit status 4.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, RUNNER

from triage.cli import main

EMERGENCY = (
    "answers: {location: lower_back, severity: 3, duration_weeks: 1, sensations: [ache], "
    "age: 40, saddle_numbness: yes}\n"
)
needs_dev_full = pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")


def ask(*args, input=None):
    return RUNNER.invoke(main, ["ask", "--no-color", *args], input=input)


def answers(tmp_path, text=EMERGENCY, name="case.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("option", ["--save", "--audit-log"])
def test_an_unwritable_path_is_refused_before_the_first_question(tmp_path, option):
    result = ask(option, str(tmp_path / "no" / "such" / "dir" / "x"), input="3\n")
    assert result.exit_code == 2
    assert "[1]" not in result.output  # nothing was asked
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert "No such file or directory" in result.output


@needs_dev_full
def test_writes_that_fail_at_the_end_come_after_the_result(tmp_path):
    result = ask("--answers", answers(tmp_path), "--save", "/dev/full", "--audit-log", "/dev/full")
    assert result.exit_code == 4
    out = result.output
    assert "Traceback" not in out
    banner = out.index("EMERGENCY: GET HELP NOW")
    assert out.index("Do not drive yourself") > banner  # the whole result, first
    assert banner < out.index("error: cannot save the answers to /dev/full: No space left")
    assert banner < out.index("error: cannot write audit log /dev/full: No space left")


def _run(args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "triage", "ask", "--no-color", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        **kwargs,
    )


def _file_size_limit(limit: int):
    # Writing past the limit fails with EFBIG, as a full disk fails with ENOSPC (Python
    # ignores SIGXFSZ, so the write returns the error).
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.slow  # starts processes
def test_a_save_that_fails_at_the_end_keeps_the_old_file_and_shows_the_result(tmp_path):
    save = tmp_path / "saved.yaml"
    save.write_text("old\n")
    result = _run(
        ["--answers", answers(tmp_path), "--save", str(save)], preexec_fn=_file_size_limit(60)
    )
    assert result.returncode == 4, result.stderr
    assert "EMERGENCY" in result.stdout and "Traceback" not in result.stderr
    assert f"error: cannot save the answers to {save}: File too large" in result.stderr
    assert save.read_text() == "old\n"  # written whole or not at all
    assert [p.name for p in tmp_path.iterdir()] == sorted(["case.yaml", "saved.yaml"])


@pytest.mark.slow  # starts processes
def test_an_audit_log_that_fails_at_the_end_keeps_whole_lines(tmp_path):
    log = tmp_path / "audit.jsonl"
    log.write_text('{"kind": "old", "result": {}}\n')
    result = _run(
        ["--answers", answers(tmp_path), "--audit-log", str(log)],
        preexec_fn=_file_size_limit(200),
    )
    assert result.returncode == 4, result.stderr
    assert "EMERGENCY" in result.stdout and "Traceback" not in result.stderr
    assert f"error: cannot write audit log {log}: File too large" in result.stderr
    assert log.read_text() == '{"kind": "old", "result": {}}\n'  # no partial line


def test_a_lone_surrogate_in_the_id_reaches_the_audit_log(tmp_path):
    log = tmp_path / "audit.jsonl"
    text = '{"id": "a\\ud800b", "answers": {"age": 40, "saddle_numbness": "yes"}}'
    case = answers(tmp_path, text, "case.json")  # JSON can escape a lone surrogate
    result = ask("--answers", case, "--audit-log", str(log), input="3\n3\n1\nache\n")
    assert result.exit_code == 0, result.output
    assert "EMERGENCY" in result.output
    (line,) = log.read_text().splitlines()
    assert json.loads(line)["id"] == "a\ud800b"


def test_a_save_file_name_that_is_not_utf8(tmp_path):
    name = os.fsdecode(b"caf\xe9.yaml")  # a Latin-1 file name, as the system gives it
    log = tmp_path / "audit.jsonl"
    result = ask(
        "--answers",
        answers(tmp_path),
        "--save",
        str(tmp_path / name),
        "--audit-log",
        str(log),
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / name).exists()
    assert json.loads(log.read_text())["id"] == os.fsdecode(b"caf\xe9")


def test_the_audit_log_is_created_owner_only(tmp_path):
    log = tmp_path / "audit.jsonl"
    assert ask("--answers", answers(tmp_path), "--audit-log", str(log)).exit_code == 0
    assert log.stat().st_mode & 0o777 == 0o600


@pytest.mark.slow  # starts processes
def test_closed_stdin_ends_the_interview_without_a_traceback(tmp_path):
    partial = answers(tmp_path, "answers: {age: 40}\n")
    save = tmp_path / "so-far.yaml"
    result = _run(["--answers", partial, "--save", str(save)], preexec_fn=lambda: os.close(0))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Interview ended without a result (standard input is closed)" in result.stderr
    assert "age: 40" in save.read_text()  # nothing given is lost


@pytest.mark.slow  # starts processes
def test_a_closed_stdin_is_no_trouble_when_nothing_needs_asking(tmp_path):
    result = _run(["--answers", answers(tmp_path)], preexec_fn=lambda: os.close(0))
    assert result.returncode == 0 and "EMERGENCY" in result.stdout


def _without_a_reader(args):
    """``triage ask`` with a standard output that no one reads: the first write fails (EPIPE)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "triage", "ask", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
    finally:
        os.close(write)


@pytest.mark.slow  # starts processes
def test_a_reader_gone_ends_quietly_and_still_saves(tmp_path):
    save = tmp_path / "saved.yaml"
    result = _without_a_reader(["--answers", answers(tmp_path), "--save", str(save)])
    assert result.returncode == 141
    assert result.stderr == ""
    assert "saddle_numbness: 'yes'" in save.read_text()


@pytest.mark.slow  # starts processes
def test_a_reader_gone_mid_interview_keeps_the_answers_typed(tmp_path):
    save = tmp_path / "so-far.yaml"
    partial = answers(tmp_path, "answers: {age: 40}\n")
    result = _without_a_reader(["--answers", partial, "--save", str(save)])  # a prompt fails
    assert result.returncode == 141 and result.stderr == ""
    assert "age: 40" in save.read_text()


def test_a_lone_surrogate_in_the_note_is_saved_as_json(tmp_path):
    text = '{"note": "caf\\u00e9 a\\ud800b", "answers": {"saddle_numbness": "yes"}}'
    saved = tmp_path / "me.json"
    result = ask("--answers", answers(tmp_path, text, "case.json"), "--save", str(saved))
    assert result.exit_code == 0, result.output
    data = saved.read_bytes()
    assert b'\n  "note": "caf\\u00e9 a\\ud800b",\n' in data  # escaped, and indented as ever
    doc = json.loads(data)
    assert (doc["note"], doc["expect"]["disposition"]) == ("café a\ud800b", "emergency")
