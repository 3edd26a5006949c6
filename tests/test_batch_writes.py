"""`triage batch` loses nothing to its own output: never the input, never a whole record, never
a traceback, whether the disk fills, the reader goes away or the output is one of the inputs."""

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

CASES = str(ROOT / "cases")


def invoke(*args, input=None):
    return RUNNER.invoke(main, ["batch", *args], input=input)


def run(*args, **kwargs):
    if "stdout" not in kwargs:
        kwargs["capture_output"] = True
    return subprocess.run(
        [sys.executable, "-m", "triage", "batch", *args], timeout=120, cwd=ROOT, **kwargs
    )


def cases(n: int) -> str:
    return "".join(
        json.dumps({"id": f"c{i}", "answers": {"age": 20 + i % 60}}) + "\n" for i in range(n)
    )


@pytest.mark.parametrize(
    ("option", "named"), [("-o", "the output"), ("--audit-log", "the audit log")]
)
def test_a_file_to_write_that_is_an_input_is_refused_and_the_input_kept(tmp_path, option, named):
    data = tmp_path / "s.jsonl"
    data.write_text(cases(3))
    result = invoke(option, str(data), str(tmp_path))
    assert result.exit_code == 2
    assert f"{named} {data} is the input {data}" in result.output
    assert data.read_text() == cases(3)


def test_an_output_inside_an_input_directory_is_refused(tmp_path):
    (tmp_path / "a.yaml").write_text("answers: {age: 30}\n")
    out = tmp_path / "out.jsonl"
    out.write_text(cases(2))  # a previous run's output, now read as cases too
    link = tmp_path / "link.jsonl"
    result = invoke("-o", str(out), str(tmp_path))
    assert result.exit_code == 2 and "is the input" in result.output
    assert out.read_text() == cases(2)
    link.symlink_to(out)  # the same file under another name
    assert invoke("-o", str(link), str(out)).exit_code == 2
    assert out.read_text() == cases(2)


@pytest.mark.slow  # starts processes
def test_standard_output_appended_to_the_input_is_refused(tmp_path):
    data = tmp_path / "s.jsonl"
    data.write_text(cases(3))
    with open(data, "a") as out:  # `triage batch s.jsonl >> s.jsonl` would read for ever
        result = run(str(data), stdout=out, stderr=subprocess.PIPE, text=True)
    assert result.returncode == 2
    assert "standard output is the input" in result.stderr
    assert data.read_text() == cases(3)


@pytest.mark.slow  # starts processes
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_lone_surrogate_in_an_id_with_an_audit_log_loses_no_case(tmp_path, jobs):
    log = tmp_path / "audit.jsonl"
    data = '{"id": "a\\ud800b", "answers": {}}\n{"id": "next", "answers": {}}\n'
    result = run("--jobs", jobs, "--audit-log", str(log), "-", input=data, text=True)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["id"] for line in log.read_text().splitlines()] == [
        "a\ud800b",
        "next",
    ]
    assert len(result.stdout.splitlines()) == 2


@pytest.mark.slow  # starts processes
def test_a_file_name_that_is_not_utf8_with_an_audit_log(tmp_path):
    name = os.fsdecode(b"caf\xe9.yaml")
    (tmp_path / name).write_text("answers: {age: 30}\n")
    log = tmp_path / "audit.jsonl"
    result = run("--audit-log", str(log), str(tmp_path), text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["source"] == str(tmp_path / name)
    assert json.loads(log.read_text())["id"] == os.fsdecode(b"caf\xe9")


def _file_size_limit(limit: int):
    # Writing past the limit fails with EFBIG part-way through a record, as a full disk
    # fails with ENOSPC (Python ignores SIGXFSZ, so the write returns the error).
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.slow  # starts processes
@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_full_disk_stops_the_run_with_whole_records(tmp_path, fmt, jobs):
    data = tmp_path / "in.jsonl"
    data.write_text(cases(2000))
    out = tmp_path / "out"
    result = run(
        "--jobs", jobs, "--format", fmt, "-o", str(out), str(data),
        text=True, preexec_fn=_file_size_limit(300_000 if fmt == "csv" else 3_000_000),
    )  # fmt: skip
    assert result.returncode == 4
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: cannot write output {out}: File too large; stopped after ")
    written = int(line.rsplit("after ", 1)[1].split()[0])
    text = out.read_text()
    if fmt == "jsonl":
        records = [json.loads(line) for line in text.splitlines()]
    elif fmt == "json":  # left open, as after any stop, but every record in it whole
        records = json.loads(text + ("\n]" if written else "]"))
    else:
        records = text.splitlines()[1:]
        assert all(row.startswith(f"c{i},") for i, row in enumerate(records))
    assert 0 < written == len(records) < 2000, (result.stderr, len(text))
    if fmt != "csv":
        assert [r["id"] for r in records] == [f"c{i}" for i in range(written)]


@pytest.mark.slow  # starts processes
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("where", [["-o", "/dev/full"], ["--audit-log", "/dev/full"]])
def test_dev_full_is_one_line_and_status_4(where):
    result = run("--jobs", "1", *where, CASES, text=True)
    assert result.returncode == 4
    (line,) = result.stderr.splitlines()
    assert "/dev/full: No space left on device; stopped after 0 case(s)" in line


@pytest.mark.slow  # starts processes
def test_stdout_on_dev_full_is_one_line(tmp_path):
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    with open("/dev/full", "w") as full:
        result = run(CASES, stdout=full, stderr=subprocess.PIPE, text=True)
    assert result.returncode == 4
    assert result.stderr.splitlines() == [
        "error: cannot write standard output: No space left on device; stopped after 0 case(s)"
    ]


@pytest.mark.slow  # starts processes
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_audit_log_that_fills_up_stops_the_run_and_logs_every_record_output(tmp_path, jobs):
    data = tmp_path / "in.jsonl"
    data.write_text(cases(1500))
    log = tmp_path / "audit.jsonl"
    result = run(
        "--jobs", jobs, "--audit-log", str(log), str(data),
        text=True, preexec_fn=_file_size_limit(500_000),
    )  # fmt: skip
    assert result.returncode == 4 and "Traceback" not in result.stderr
    assert f"error: cannot write audit log {log}: File too large" in result.stderr
    logged = [json.loads(line)["id"] for line in log.read_text().splitlines()]  # whole lines
    output = [json.loads(line)["id"] for line in result.stdout.splitlines()]
    assert output and logged[: len(output)] == output  # each decision output is logged


@pytest.mark.slow  # starts processes
@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("fmt", ["jsonl", "table"])
def test_a_reader_that_goes_away_ends_the_run_quietly(tmp_path, jobs, fmt):
    data = tmp_path / "many.jsonl"
    data.write_text(cases(3000))
    proc = subprocess.Popen(
        [sys.executable, "-m", "triage", "batch", "--jobs", jobs, "--format", fmt, str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`: far more output follows than a pipe holds
    try:
        assert proc.wait(timeout=120) == 141
    finally:
        proc.kill()
    assert proc.stderr.read() == b""
    proc.stderr.close()


def test_the_audit_log_is_created_owner_only(tmp_path):
    log = tmp_path / "audit.jsonl"
    assert invoke("--audit-log", str(log), str(ROOT / "cases" / "core")).exit_code == 0
    assert log.stat().st_mode & 0o777 == 0o600
