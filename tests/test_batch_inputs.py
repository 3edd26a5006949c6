"""Inputs that hang, loop, vanish or hide: every input gives its cases or an error saying why.

No FIFO or device is opened from a directory, symbolic links are followed once, an input with
no case says so, and a YAML list is read one case at a time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT, RUNNER

from triage.cli import main


def invoke(*args, input=None):
    return RUNNER.invoke(main, ["batch", "--format", "jsonl", *args], input=input)


def run(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "triage", "batch", "--format", "jsonl", *args],
        capture_output=True,
        text=True,
        timeout=120,  # a hang fails here
        cwd=ROOT,
        **kwargs,
    )


def records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def errors(stdout: str) -> dict[str, str]:
    return {r["source"]: r["error"]["message"] for r in records(stdout) if "error" in r}


@pytest.mark.slow  # starts processes
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_fifo_or_a_device_in_a_directory_is_reported_not_read(tmp_path, jobs):
    (tmp_path / "a.yaml").write_text("answers: {age: 30}\n")
    os.mkfifo(tmp_path / "x.yaml")  # nobody writes to it: opening it would wait for ever
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")  # reading it would never end
    result = run("--jobs", jobs, str(tmp_path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert errors(result.stdout) == {
        str(tmp_path / "x.yaml"): "a FIFO, not a regular file: not read",
        str(tmp_path / "zero.yaml"): "a device, not a regular file: not read",
    }
    assert [r["id"] for r in records(result.stdout)] == ["a", "x", "zero"]


@pytest.mark.slow  # starts processes
def test_a_device_named_as_a_case_file_is_not_read(tmp_path):
    (tmp_path / "zero.jsonl").symlink_to("/dev/zero")
    result = run(str(tmp_path / "zero.jsonl"))
    assert result.returncode == 1
    assert "a device, not a regular file" in result.stderr


@pytest.mark.slow  # starts processes
def test_symlinked_directories_are_followed_and_loops_reported(tmp_path):
    data = tmp_path / "data"
    (data / "real").mkdir(parents=True)
    (data / "real" / "b.yaml").write_text("answers: {age: 40}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "c.yaml").write_text("answers: {age: 50}\n")
    (data / "more").symlink_to(elsewhere)  # a symbolic link to another directory: followed
    (data / "real" / "up").symlink_to(data)  # a loop back up: read once
    result = run(str(data))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert [r["id"] for r in records(result.stdout) if "error" not in r] == ["c", "b"]
    assert errors(result.stdout) == {
        str(data / "real" / "up"): f"the same directory as {data}: not read again"
    }


def test_an_unreadable_subdirectory_is_an_error_record(tmp_path, monkeypatch):
    (tmp_path / "a.yaml").write_text("answers: {age: 30}\n")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "b.yaml").write_text("answers: {age: 40}\n")
    real = os.scandir

    def scandir(path):  # as for a directory without read permission (root reads any)
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = invoke(str(tmp_path))
    assert result.exit_code == 1
    assert errors(result.stdout) == {
        str(tmp_path / "locked"): "cannot read directory: Permission denied"
    }
    assert "locked" in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any directory")
def test_a_directory_without_read_permission_is_an_error_record(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "b.yaml").write_text("answers: {age: 40}\n")
    locked.chmod(0)
    try:
        result = invoke(str(tmp_path))
    finally:
        locked.chmod(0o755)
    assert result.exit_code == 1
    assert errors(result.stdout) == {str(locked): "cannot read directory: Permission denied"}


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("content", ["", "\n  \n\t\n"])
def test_an_empty_json_lines_file_says_so(tmp_path, jobs, content):
    (tmp_path / "e.jsonl").write_text(content)
    result = invoke("--jobs", jobs, str(tmp_path / "e.jsonl"))
    assert result.exit_code == 1
    assert errors(result.stdout) == {str(tmp_path / "e.jsonl"): "no case: the file is empty"}


def test_an_empty_directory_and_empty_stdin_say_so(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.md").write_text("not a case file\n")
    result = invoke(str(tmp_path / "empty"), "-", input="")
    assert result.exit_code == 1
    assert errors(result.stdout) == {
        str(tmp_path / "empty"): "no case files (.yaml, .yml, .json, .jsonl) in this directory",
        "-": "no case: standard input was empty",
    }


def test_a_second_dash_says_stdin_is_read_once():
    result = invoke("-", "-", input='{"answers": {"age": 30}}\n')
    assert result.exit_code == 1
    recs = records(result.stdout)
    assert recs[0]["id"] == "stdin[1]" and "disposition" in recs[0]
    assert recs[1]["error"]["message"] == "standard input is read once: give '-' only once"
    assert len(recs) == 2


@pytest.mark.slow  # starts processes
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_closed_stdin_is_an_error_record_not_a_traceback(jobs):
    result = run("--jobs", jobs, "-", preexec_fn=lambda: os.close(0))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert errors(result.stdout) == {"-": "cannot read: standard input is closed"}


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("a.json", b'\xef\xbb\xbf{"answers": {"age": 30}}'),
        ("a.jsonl", b'\xef\xbb\xbf{"answers": {"age": 30}}\n'),
        ("a.yaml", b"\xef\xbb\xbfanswers: {age: 30}\n"),
    ],
)
def test_a_byte_order_mark_is_allowed_in_every_format(tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    result = invoke(str(tmp_path / name))
    assert result.exit_code == 0, result.output
    assert records(result.stdout)[0]["answers"] == {"age": 30}


def test_a_byte_order_mark_on_stdin(runner):
    result = runner.invoke(main, ["batch", "-"], input=b'\xef\xbb\xbf{"answers": {}}\n')
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("text", "age"), [("030", 30), ("0o36", 30), ("0x1e", 30), ("30", 30), ("+30", 30)]
)
def test_yaml_integers_are_read_as_yaml_1_2_reads_them(tmp_path, text, age):
    (tmp_path / "c.yaml").write_text(f"answers: {{age: {text}}}\n")
    result = invoke(str(tmp_path / "c.yaml"))
    assert result.exit_code == 0, result.output
    assert records(result.stdout)[0]["answers"]["age"] == age


def test_a_sexagesimal_number_is_not_a_number(tmp_path):
    (tmp_path / "c.yaml").write_text("answers: {duration_weeks: 1:30}\n")  # YAML 1.1: 90
    result = invoke(str(tmp_path / "c.yaml"))
    assert result.exit_code == 1
    assert "got '1:30'" in records(result.stdout)[0]["error"]["message"]


def test_a_broken_item_of_a_yaml_list_costs_it_and_what_follows_only(tmp_path):
    (tmp_path / "l.yaml").write_text(
        "- answers: {age: 30}\n- answers: {age: [unclosed\n- answers: {age: 50}\n"
    )
    result = invoke(str(tmp_path / "l.yaml"))
    assert result.exit_code == 1
    first, second = records(result.stdout)
    assert first["id"] == "l[1]" and "disposition" in first
    assert second["id"] == "l[2]"
    assert second["error"]["message"].startswith("invalid YAML at line 3")
    assert second["error"]["message"].endswith("the cases after it are not read")


def test_a_yaml_case_over_1_mib_is_refused(tmp_path):
    (tmp_path / "l.yaml").write_text(
        "- answers: {age: 30}\n- note: '" + "x" * (2 * 2**20) + "'\n  answers: {}\n"
    )
    result = invoke(str(tmp_path / "l.yaml"))
    assert [r.get("error", {}).get("message") for r in records(result.stdout)] == [
        None,
        "a case longer than 1 MiB; the cases after it are not read",
    ]


def test_a_second_yaml_document_is_an_error_not_a_lost_case(tmp_path):
    (tmp_path / "d.yaml").write_text("answers: {age: 30}\n---\nanswers: {age: 90}\n")
    result = invoke(str(tmp_path / "d.yaml"))
    (record,) = records(result.stdout)
    assert "a second document (not read)" in record["error"]["message"]


@pytest.mark.slow  # starts processes
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_yaml_list_is_read_one_case_at_a_time(tmp_path):
    """The first case's record comes out while the list is still being written: the file is
    not read whole first (a 100,000-case list took 1.5 GB), so memory stays bounded."""
    fifo = tmp_path / "cases.yaml"
    os.mkfifo(fifo)
    proc = subprocess.Popen(
        [sys.executable, "-m", "triage", "batch", "--jobs", "1", str(fifo)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    first: list[bytes] = []
    reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()), daemon=True)
    try:
        with open(fifo, "w") as writer:  # waits until the run opens it
            writer.write("- {id: first, answers: {age: 30}}\n- {id: second, answers: {age: 40}}\n")
            writer.flush()
            reader.start()
            deadline = time.monotonic() + 60
            while reader.is_alive() and time.monotonic() < deadline:
                reader.join(0.05)  # the state waited for: the first record is out
            assert first and json.loads(first[0])["id"] == "first", "no record before the end"
            writer.write("- {id: third, answers: {age: 50}}\n")
        rest = proc.stdout.read().decode()
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        proc.stdout.close()
        proc.stderr.close()
    assert [json.loads(line)["id"] for line in rest.splitlines()] == ["second", "third"]


def test_explain_on_an_empty_file_is_one_line(tmp_path, runner):
    (tmp_path / "e.jsonl").write_text("")
    result = runner.invoke(main, ["explain", str(tmp_path / "e.jsonl")])
    assert result.exit_code == 1
    assert result.output == f"error: {tmp_path / 'e.jsonl'}: case 'e': no case: the file is empty\n"
    assert Path(tmp_path / "e.jsonl").exists()
