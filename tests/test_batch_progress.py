"""`triage batch` progress: a bar on a terminal's stderr, nothing when nobody watches."""

from __future__ import annotations

import json
import sys

import pexpect
import pytest

from triage.cases import CaseError, JsonLine, RawCase, iter_raw_cases
from triage.cli import main
from triage.cli.progress import Progress


def _cases(path, n):
    path.write_text(
        "".join(
            json.dumps({"id": f"p{i}", "answers": {"severity": i % 11}}) + "\n" for i in range(n)
        )
    )
    return path


@pytest.mark.slow  # starts processes
def test_a_terminal_sees_progress_and_a_last_line(tmp_path):
    cases = _cases(tmp_path / "many.jsonl", 3000)
    out = tmp_path / "out.jsonl"
    child = pexpect.spawn(
        sys.executable,
        ["-m", "triage", "batch", "--jobs", "2", "-o", str(out), str(cases)],
        encoding="utf-8",
        timeout=300,  # a cap on waiting for the state, for a loaded machine
    )
    child.expect(r"3,000 case\(s\) evaluated in [\d.]+ s")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert len(out.read_text().splitlines()) == 3000


def test_the_line_is_drawn_at_most_every_fifth_of_a_second(tmp_path, monkeypatch, capsys):
    clock = iter([0.0, 0.1, 0.3, 0.35])
    monkeypatch.setattr("triage.cli.progress.time.monotonic", lambda: next(clock))
    path = _cases(tmp_path / "c.jsonl", 4)
    progress = Progress(True, [str(path)])
    items = list(progress.watch([str(path)], lambda f: iter_raw_cases([f], parse=False)))
    assert len(items) == 4
    progress.tick(1)  # 0.1 s: too soon
    progress.tick(2)  # 0.3 s: drawn
    progress.tick(1)  # 0.35 s: too soon again
    err = capsys.readouterr().err
    assert err.count("\r") == 1
    assert "] " in err and "3 case(s)" in err and "left" in err


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path, runner):
    cases = _cases(tmp_path / "few.jsonl", 50)
    result = runner.invoke(main, ["batch", "-o", str(tmp_path / "o.jsonl"), str(cases)])
    assert result.exit_code == 0
    assert result.stderr == ""


def _watched(progress, files, items_by_file):
    return list(progress.watch(files, lambda f: items_by_file[f]))


def test_the_bar_follows_bytes_written_not_bytes_read(tmp_path):
    a = tmp_path / "a.jsonl"
    a.write_text("x" * 59 + "é\n" + "y" * 39 + "\n")  # 62 bytes (é is two) + 40 bytes
    b = tmp_path / "b.yaml"
    b.write_text("z" * 99 + "\n")  # 100 bytes, one whole document
    files = [str(a), str(b), str(a)]  # a file given twice counts twice
    progress = Progress(True, files)
    assert progress.total == 304
    one = [
        RawCase(str(a), "a[1]", JsonLine(1, "x" * 59 + "é\n")),
        CaseError("a[2]", str(a), "line 2 is longer than 1 MiB"),  # no jump to the file's end
        RawCase(str(a), "a[3]", JsonLine(3, "y" * 39 + "\n")),
    ]
    items = _watched(progress, files, {str(a): one, str(b): [CaseError("b", str(b), "bad")]})
    assert len(items) == 7  # everything read ahead at once
    assert progress.position == 0
    seen = []
    for _ in range(7):
        progress.tick(1)
        seen.append(progress.position)
    assert seen == [62, 62, 102, 202, 264, 264, 304]
    assert progress.line(10.0).startswith("[" + "#" * 24 + "] 100%  7 case(s)")


def test_standard_input_gets_a_counter_without_a_total():
    progress = Progress(True, ["-"])
    assert progress.total == 0
    progress.tick(5)
    assert progress.line(2.0) == "5 case(s)  2/s"


def test_blocks_of_lines_move_the_bar_when_all_their_lines_are_written(tmp_path):
    path = tmp_path / "b.jsonl"
    path.write_bytes(b"a\n" + b"bb\n" + b"\n" + b"dddd\n" + b"\xffe\n")  # 2+3+1+5+3 bytes
    progress = Progress(True, [str(path)])
    items = list(progress.watch([str(path)], lambda f: iter_raw_cases([f], parse=False, block=2)))
    assert [(i.first, len(i.lines)) for i in items] == [(1, 2), (3, 2), (5, 1)]
    seen = []
    for cases, covered in [(1, 1), (1, 1), (0, 1), (1, 1), (1, 1)]:  # line 3 is blank
        progress.tick(cases, covered)
        seen.append(progress.position)
    assert seen == [0, 5, 5, 11, 14]
    assert progress.count == 4
