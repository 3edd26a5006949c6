"""`triage batch` progress: a bar on a terminal's stderr, nothing when nobody watches."""

from __future__ import annotations

import json
import sys

import pexpect
from click.testing import CliRunner

from triage.cases import CaseError, JsonLine, RawCase
from triage.cli import main
from triage.cli.progress import Progress


def _cases(path, n):
    path.write_text(
        "".join(
            json.dumps({"id": f"p{i}", "answers": {"severity": i % 11}}) + "\n" for i in range(n)
        )
    )
    return path


def test_a_terminal_sees_a_bar_with_a_percentage_and_the_time_left(tmp_path):
    cases = _cases(tmp_path / "many.jsonl", 3000)
    out = tmp_path / "out.jsonl"
    child = pexpect.spawn(
        sys.executable,
        ["-m", "triage", "batch", "--jobs", "1", "-o", str(out), str(cases)],
        encoding="utf-8",
        timeout=120,
    )
    child.expect(r"\[[#.]{24}\] +\d+%  [\d,]+ case\(s\)  [\d,]+/s  \d+:\d\d left")
    child.expect(r"3,000 case\(s\) evaluated in [\d.]+ s")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert len(out.read_text().splitlines()) == 3000


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path):
    cases = _cases(tmp_path / "few.jsonl", 50)
    result = CliRunner().invoke(main, ["batch", "-o", str(tmp_path / "o.jsonl"), str(cases)])
    assert result.exit_code == 0
    assert result.stderr == ""


def test_the_bar_follows_bytes_written_not_bytes_read(tmp_path):
    a = tmp_path / "a.jsonl"
    a.write_text("x" * 60 + "\n" + "y" * 39 + "\n")  # 61 + 40 bytes
    b = tmp_path / "b.yaml"
    b.write_text("z" * 99 + "\n")  # 100 bytes, one whole document
    progress = Progress(True, [str(a), str(b)])
    assert progress.total == 201
    items = [
        RawCase(str(a), "a[1]", JsonLine(1, "x" * 60 + "\n")),
        RawCase(str(a), "a[2]", JsonLine(2, "y" * 39 + "\n")),
        CaseError("b", str(b), "invalid YAML"),
    ]
    assert list(progress.watch(items)) == items  # everything read ahead at once
    assert progress.position == 0
    progress.tick(1)
    assert progress.position == 61
    progress.tick(2)
    assert progress.position == 201
    assert progress.line(10.0).startswith("[" + "#" * 24 + "] 100%  3 case(s)")


def test_standard_input_gets_a_counter_without_a_total():
    progress = Progress(True, ["-"])
    assert progress.total == 0
    progress.tick(5)
    assert progress.line(2.0) == "5 case(s)  2/s"
