"""`triage batch` at scale: formats, --check, --strict, --jobs and streaming."""

from __future__ import annotations

import csv
import io
import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, RUNNER
from hypothesis import given
from hypothesis import strategies as st

from triage.cases import iter_cases
from triage.cli import main
from triage.runner import MAX_IN_FLIGHT, chunk_size, evaluate_chunks

CASES = str(ROOT / "cases")


def corpus_size(triage) -> int:
    return sum(1 for _ in iter_cases([CASES], triage.rulebase))


def invoke(*args, input=None):
    return RUNNER.invoke(main, ["batch", *args], input=input)


def test_default_format_off_a_terminal_is_jsonl(triage):
    result = invoke(CASES)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == corpus_size(triage) and all(json.loads(line)["id"] for line in lines)


def test_table_has_a_row_per_case_and_counts(triage):
    result = invoke("--format", "table", CASES)
    assert result.exit_code == 0
    assert "core-saddle-numbness" in result.stdout
    n = corpus_size(triage)
    assert len(result.stdout.splitlines()) == n + 3  # header, rows, blank line, counts
    assert result.stdout.rstrip().splitlines()[-1].startswith(f"{n} case(s): doctor ")


def test_csv_has_a_header_and_a_row_per_case(tmp_path, triage):
    out = tmp_path / "out.csv"
    result = invoke("--format", "csv", "-o", str(out), CASES)
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == corpus_size(triage)
    row = next(r for r in rows if r["id"] == "core-unsure-saddle")
    assert (row["disposition"], row["timeframe"]) == ("doctor", "same_day")
    assert row["fired"] == "ces-saddle-numbness routine-lower-back unsure-emergency-sign"


def test_the_corpus_passes_check(triage):
    n = corpus_size(triage)
    result = invoke("--check", CASES)
    assert result.exit_code == 0, result.stderr
    assert f"checked {n} case(s) with expectations: {n} ok, 0 failed" in result.stderr


def test_check_reports_every_mismatch_and_exits_1(tmp_path):
    (tmp_path / "wrong.yaml").write_text(
        "id: wrong\nanswers: {fever: yes}\n"
        "expect: {disposition: emergency, timeframe: now, fired: [major-trauma]}\n"
    )
    result = invoke("--check", "--format", "table", str(tmp_path))
    assert result.exit_code == 1
    err = result.stderr
    assert "case 'wrong': disposition: expected emergency, got doctor" in err
    assert "timeframe: expected now, got same_day" in err
    assert "fired: expected ['major-trauma']" in err
    assert "1 failed (3 mismatch(es))" in err


def test_strict_turns_missing_answers_into_an_error(tmp_path):
    (tmp_path / "partial.yaml").write_text("answers: {location: neck, severity: 3}\n")
    relaxed = json.loads(invoke(str(tmp_path)).stdout)
    assert relaxed["complete"] is False
    result = invoke("--strict", str(tmp_path))
    assert result.exit_code == 1
    record = json.loads(result.stdout)
    assert record["error"]["field"] == "answers.saddle_numbness"  # the first in asking order
    assert "strict" in record["error"]["message"]


def _mixed_cases(n: int) -> str:
    """n JSON Lines cases: some invalid, some with a wrong ``expect``, most plain."""
    lines = []
    for i in range(n):
        if i % 37 == 0:
            lines.append('{"answers": {"age": "old"}}')
            continue
        case = {
            "id": f"c{i}",
            "answers": {
                "severity": i % 11,
                "age": 10 + i % 70,
                "fever": ["no", "yes", "unsure"][i % 3],
            },
        }
        if i % 29 == 0:
            case["expect"] = {"disposition": "emergency"}
        lines.append(json.dumps(case))
    return "\n".join(lines) + "\n"


@pytest.mark.slow  # starts processes
@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "table"])
def test_jobs_give_the_same_output_in_the_same_order(fmt):
    n = 3 * chunk_size(2) + 7  # several chunks, the last one short
    data = _mixed_cases(n)
    one = invoke("--jobs", "1", "--check", "--format", fmt, "-", input=data)
    two = invoke("--jobs", "2", "--check", "--format", fmt, "-", input=data)
    assert one.exit_code == two.exit_code == 1  # some invalid cases, still all records
    assert one.stdout == two.stdout
    assert one.stderr == two.stderr
    assert one.stderr.count("error: ") == len(range(0, n, 37))
    assert "mismatch: -: case 'c29'" in one.stderr
    if fmt == "json":
        assert len(json.loads(one.stdout)) == n
    if fmt == "jsonl":
        assert len(one.stdout.splitlines()) == n


@pytest.mark.slow  # starts processes
def test_parallel_runs_write_whole_records_to_the_audit_log(tmp_path):
    log = tmp_path / "audit.jsonl"
    n = 2 * chunk_size(2) + 3
    result = invoke("--jobs", "2", "--audit-log", str(log), "-", input=_mixed_cases(n))
    assert result.exit_code == 1
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    valid = [json.loads(line) for line in result.stdout.splitlines()]
    valid = [r for r in valid if "error" not in r]
    assert [e["id"] for e in entries] == [r["id"] for r in valid]
    assert all(e["answers"] and e["rulebase"] for e in entries)


class CountingStream(io.StringIO):
    """A stdin that counts how many lines were pulled from it."""

    def __init__(self, lines: int):
        super().__init__("".join('{"answers": {"severity": 3}}\n' for _ in range(lines)))
        self.pulled = 0

    def readline(self, *args):
        self.pulled += 1
        return super().readline(*args)


def test_streaming_reads_lazily(triage):
    stream = CountingStream(100_000)
    chunks = evaluate_chunks(iter_cases(["-"], triage.rulebase, stdin=stream), None, jobs=1)
    first = [next(chunks) for _ in range(3)]
    assert [c.records[0]["disposition"] for c in first] == ["self_stretching"] * 3
    assert stream.pulled <= 4  # nothing read ahead in one process


def test_parallel_streaming_keeps_a_bounded_window(triage):
    stream = CountingStream(100_000)
    chunks = evaluate_chunks(iter_cases(["-"], triage.rulebase, stdin=stream), None, jobs=2)
    next(chunks)
    assert stream.pulled <= 2 * 2 * chunk_size(2) + 1  # at most 2 * jobs chunks in flight
    chunks.close()


def test_read_ahead_is_bounded_whatever_the_number_of_jobs():
    for jobs in (1, 2, 8, 64, 256):
        assert 1 <= 2 * jobs * chunk_size(jobs) <= max(MAX_IN_FLIGHT, 2 * jobs)


def _triage(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "triage", "batch", *args],
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


@pytest.mark.slow  # starts processes
def test_merged_stdout_and_stderr_read_the_same_whatever_the_jobs():
    data = _mixed_cases(2 * chunk_size(2) + 5)
    runs = [
        subprocess.run(
            [sys.executable, "-m", "triage", "batch", "--check", "--jobs", jobs, "-"],
            input=data,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
        ).stdout
        for jobs in ("1", "2")
    ]
    assert runs[0] == runs[1]
    lines = runs[0].splitlines()
    first_error = next(i for i, line in enumerate(lines) if line.startswith("error: "))
    assert json.loads(lines[first_error - 1])["error"]  # right after its own record


@pytest.mark.slow  # starts processes
def test_closing_the_output_early_ends_a_parallel_run(tmp_path):
    cases = tmp_path / "many.jsonl"
    cases.write_text(_mixed_cases(4000))
    for _ in range(4):
        proc = subprocess.Popen(
            [sys.executable, "-m", "triage", "batch", "--jobs", "2", str(cases)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        proc.stdout.readline()
        proc.stdout.close()  # like `| head -1`
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError("the run hung after its reader went away") from None
        assert b"Traceback" not in proc.stderr.read()
        proc.stderr.close()


@pytest.mark.slow  # starts processes
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_deeply_nested_document_is_an_error_record(tmp_path, jobs):
    deep = "[" * 500 + "]" * 500
    (tmp_path / "a.json").write_text('{"id": "deep", "answers": {"age": ' + deep + "}}")
    (tmp_path / "b.json").write_text('{"id": "fine", "answers": {"age": 40}}')
    result = _triage("--jobs", jobs, str(tmp_path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["deep", "fine"]
    assert records[0]["error"]["field"] == "answers.age" and "error" not in records[1]


@pytest.mark.slow  # starts processes
@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "table"])
def test_a_lone_surrogate_in_an_id_loses_no_record(fmt):
    data = '{"id": "a\\ud800b", "answers": {}}\n{"id": "next", "answers": {}}\n'
    for jobs in ("1", "2"):
        result = _triage("--jobs", jobs, "--format", fmt, "-", input=data)
        assert result.returncode == 0, result.stderr
        assert "next" in result.stdout and "a\\ud800b" in result.stdout


@pytest.mark.parametrize(
    "expect", ['{"disposition": ["doctor"]}', '{"timeframe": {}}', '{"fired": [{"a": 1}]}']
)
def test_a_malformed_expect_is_an_error_record(expect):
    data = '{"id": "x", "answers": {}, "expect": ' + expect + "}\n"
    result = invoke("--check", "-", input=data)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    record = json.loads(result.stdout)
    assert record["error"]["field"].startswith("expect.")


def test_an_internal_error_costs_only_its_own_record(monkeypatch):
    from triage.service import Triage

    real = Triage.result

    def flaky(self, case, asked=None, **kw):
        if case.id == "boom":
            raise RuntimeError("simulated bug")
        return real(self, case, asked, **kw)

    monkeypatch.setattr(Triage, "result", flaky)
    data = "".join(
        json.dumps({"id": i, "answers": {"severity": 2}}) + "\n" for i in ("a", "boom", "c")
    )
    result = invoke("--jobs", "1", "-", input=data)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["a", "boom", "c"]
    assert "simulated bug" in records[1]["error"]["message"]
    assert result.exit_code == 1 and "error: -: case 'boom'" in result.stderr


def _spy_spool(monkeypatch) -> list:
    """Record where each chunk a worker returned was left: (file, bytes of records), or None."""
    from triage import runner

    seen: list = []
    real = runner._unspool

    def spy(result):
        if isinstance(result, runner.Spooled):
            # A message this small goes through a pipe whole: a worker killed while sending it
            # cannot leave half a message for the pool to wait on for ever.
            assert len(pickle.dumps(result)) < 512
            seen.append((result.path, result.data))
        else:
            seen.append(None)
        return real(result)

    monkeypatch.setattr(runner, "_unspool", spy)
    return seen


@pytest.mark.slow  # starts processes
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_spool_files_are_written_over_and_read_to_their_length(monkeypatch, tmp_path, fmt):
    import tempfile

    from triage import runner

    monkeypatch.setattr(runner, "CHUNK", 5)  # many chunks of varied size through 4 files
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    seen = _spy_spool(monkeypatch)
    data = _mixed_cases(150)
    one = invoke("--jobs", "1", "--format", fmt, "--check", "-", input=data)
    two = invoke("--jobs", "2", "--format", fmt, "--check", "-", input=data)
    assert one.stdout == two.stdout  # no stale bytes from a longer chunk before
    assert one.stderr == two.stderr
    assert seen and None not in seen  # every chunk, with notes or records too, went by file
    assert len(seen) > 2 * len({path for path, _ in seen}) >= 8
    if fmt == "jsonl":
        assert len({length for _, length in seen}) > 1
    assert list(tmp_path.iterdir()) == []  # the spool directory is gone


@pytest.mark.slow  # starts processes
def test_without_a_spool_directory_records_come_back_through_the_pipe(monkeypatch, tmp_path):
    import tempfile

    monkeypatch.setattr(tempfile, "mkdtemp", lambda *a, **kw: str(tmp_path / "gone"))
    seen = _spy_spool(monkeypatch)
    data = _mixed_cases(3 * chunk_size(2))
    one = invoke("--jobs", "1", "-", input=data)
    two = invoke("--jobs", "2", "-", input=data)
    assert one.stdout == two.stdout
    assert seen and all(s is None for s in seen)


def test_stopping_early_removes_the_spool(monkeypatch, tmp_path, triage):
    import tempfile

    from triage.formats import JSON_LINES

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stream = CountingStream(10_000)
    items = iter_cases(["-"], triage.rulebase, stdin=stream)
    chunks = evaluate_chunks(items, None, jobs=2, encode=JSON_LINES, keep=())
    assert next(chunks).data.count(b"\n") == chunk_size(2)
    assert len(list(tmp_path.iterdir())) == 1
    chunks.close()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # starts processes
@pytest.mark.parametrize("extra", [-1, 0, 1, 9])
def test_the_last_chunk_goes_in_small_pieces(monkeypatch, extra):
    from triage import runner

    monkeypatch.setattr(runner, "CHUNK", 16)
    size = chunk_size(2)
    n = 3 * size + extra
    data = _mixed_cases(n)
    sizes = [c.size for c in evaluate_chunks(_raw_lines(data), None, jobs=2)]
    whole = n // size - 1  # full chunks before the last full one
    assert sizes[:whole] == [size] * whole
    tail = sizes[whole:]
    assert sum(sizes) == n and len(tail) > 1 and max(tail) <= size // 8
    assert max(tail) - min(tail) <= 1
    one = invoke("--jobs", "1", "-", input=data)
    two = invoke("--jobs", "2", "-", input=data)
    assert one.stdout == two.stdout


def _raw_lines(data: str):
    from triage.cases import iter_raw_cases

    return iter_raw_cases(["-"], stdin=io.StringIO(data), parse=False)


@given(st.integers(0, 600), st.integers(1, 64))
def test_pieces_keep_every_item_in_order(n, most):
    from triage.runner import _pieces

    items = list(range(n))
    pieces = _pieces(items, most) if n else []
    assert [i for piece in pieces for i in piece] == items
    assert all(1 <= len(p) <= most for p in pieces)
    if pieces:
        assert max(map(len, pieces)) - min(map(len, pieces)) <= 1


@pytest.mark.slow  # starts processes
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_line_that_is_not_utf8_costs_only_its_own_case(tmp_path, jobs):
    cases = tmp_path / "a.jsonl"
    cases.write_bytes(b'{"answers": {"age": 30}}\n\xff\xfe{}\n\n{"answers": {"age": 40}}\n')
    result = _triage("--jobs", jobs, str(cases))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["a[1]", "a[2]", "a[4]"]
    assert records[1]["error"]["message"] == "line 2: not UTF-8 text"
    assert "error" not in records[2]


@pytest.mark.slow  # starts processes
@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_line_numbers_survive_blocks_of_lines(monkeypatch, tmp_path, fmt):
    from triage import runner

    monkeypatch.setattr(runner, "CHUNK", 4)  # blocks of 4 lines, cut across blanks
    lines = []
    for i in range(1, 41):
        if i % 5 == 0:
            lines.append("  ")
        elif i == 13:
            lines.append('{"answers": {"note": "' + "x" * 2**20 + '"}}')
        else:
            lines.append(json.dumps({"answers": {"severity": i % 11}}))
    cases = tmp_path / "c.jsonl"
    cases.write_text("\n".join(lines) + "\n")
    one = invoke("--jobs", "1", "--format", fmt, str(cases))
    two = invoke("--jobs", "2", "--format", fmt, str(cases))
    assert one.stdout == two.stdout and one.stderr == two.stderr
    if fmt == "json":
        records = json.loads(one.stdout)
    else:
        records = [json.loads(line) for line in one.stdout.splitlines()]
    ids = [r["id"] for r in records]
    assert ids == [f"c[{i}]" for i in range(1, 41) if i % 5]
    assert "case 'c[13]': line 13 is longer than 1 MiB" in one.stderr


_DIES = """
import os, sys
from triage.service import Triage
real = Triage.result
def result(self, case, asked=None, **kw):
    if case.id == "die":
        os._exit(7)  # as if the kernel killed the worker for lack of memory
    return real(self, case, asked, **kw)
Triage.result = result
from triage.cli import main
main()
"""


@pytest.mark.slow  # starts processes
def test_a_worker_that_dies_stops_the_run_with_a_clear_error(tmp_path):
    spool = tmp_path / "tmp"
    spool.mkdir()
    data = "".join(
        json.dumps({"id": "die" if i == 700 else f"c{i}", "answers": {"severity": i % 11}}) + "\n"
        for i in range(900)
    )
    result = subprocess.run(
        [sys.executable, "-c", _DIES, "batch", "--jobs", "2", "-"],
        input=data,
        capture_output=True,
        text=True,
        timeout=120,  # a multiprocessing.Pool waited for the lost chunk for ever
        env={**os.environ, "TMPDIR": str(spool)},
    )
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert "error: a worker process stopped unexpectedly" in result.stderr
    written = [json.loads(line) for line in result.stdout.splitlines()]  # whole records
    assert [r["id"] for r in written] == [f"c{i}" for i in range(len(written))]
    assert f"stopped after {len(written)} case(s)" in result.stderr
    assert list(spool.iterdir()) == []


def _many(tmp_path, n=20_000):
    """A JSON Lines file of ``n`` cases, and an empty directory to be the run's TMPDIR."""
    cases = tmp_path / "many.jsonl"
    cases.write_text(_mixed_cases(n))
    spool = tmp_path / "tmp"
    spool.mkdir()
    return cases, spool


def _start(args, tmp_path, **kwargs):
    """``triage batch`` in a child process, with its temporary directory in ``tmp_path``."""
    return subprocess.Popen(
        [sys.executable, "-m", "triage", "batch", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        **kwargs,
    )


def _wait_for(state, what: str, timeout: float = 60):
    """Poll until ``state()`` is true (a state, not a time: how long it takes does not matter)."""
    deadline = time.monotonic() + timeout
    while not (found := state()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert found, f"the run never {what}"
    return found


def _spool_made(tmp_path):
    """Wait until the run has made its spool directory: it then handles SIGTERM."""
    _wait_for(lambda: list(tmp_path.iterdir()), "made its spool directory")


def _terminated(proc, send=lambda proc: proc.send_signal(signal.SIGTERM)) -> str:
    """``send`` SIGTERM, check that the run ends with status 143, and give its stderr."""
    try:
        send(proc)
        assert proc.wait(timeout=60) == 128 + signal.SIGTERM
        return proc.stderr.read().decode()
    finally:
        proc.kill()
        proc.stderr.close()


@pytest.mark.slow  # starts processes
def test_sigterm_ends_a_parallel_run_and_removes_its_spool(tmp_path):
    cases, spool = _many(tmp_path)
    proc = _start(["--jobs", "2", str(cases)], spool)
    _spool_made(spool)
    stderr = _terminated(proc)
    assert "terminated after" in stderr and "Traceback" not in stderr
    assert list(spool.iterdir()) == []


def _children(pid: int) -> list[int]:
    """Live child processes of ``pid``, from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _workers(pid: int) -> list[int]:
    """The two workers of run ``pid`` once both have started, else nothing."""
    found = _children(pid)
    return found if len(found) >= 2 else []


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow  # starts processes
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_workers_end_when_their_parent_is_killed_outright(tmp_path):
    cases, spool = _many(tmp_path)  # a killed run cannot remove its spool: keep it here
    proc = _start(["--jobs", "2", str(cases)], spool)
    workers = _wait_for(lambda: _workers(proc.pid), "started its workers")
    proc.kill()
    proc.wait(timeout=60)
    proc.stderr.close()
    assert len(workers) == 2
    deadline = time.monotonic() + 30
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(_alive, workers)), "orphaned workers kept running"


@pytest.mark.slow  # starts processes
def test_a_pool_found_broken_on_submit_is_a_dead_worker_too(monkeypatch, triage):
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from triage.runner import WorkerDied

    def broken(self, *args, **kwargs):
        raise BrokenProcessPool("A child process terminated abruptly")

    monkeypatch.setattr(ProcessPoolExecutor, "submit", broken)
    items = iter_cases(["-"], triage.rulebase, stdin=CountingStream(10))
    with pytest.raises(WorkerDied, match="stopped unexpectedly"):
        list(evaluate_chunks(items, None, jobs=2))


@pytest.mark.slow  # starts processes
def test_sigterm_while_waiting_for_input_stops_at_once_and_cleanly(tmp_path):
    proc = _start(["--jobs", "2", "-"], tmp_path, stdin=subprocess.PIPE)
    try:
        proc.stdin.write(b'{"answers": {}}\n')  # less than a chunk: the run waits for more
        proc.stdin.flush()
        _spool_made(tmp_path)
        stderr = _terminated(proc)
    finally:
        proc.stdin.close()
    assert "terminated after 0 case(s)" in stderr and "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # starts processes
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_sigterm_to_the_whole_process_group_is_a_termination(tmp_path):
    cases, spool = _many(tmp_path)
    proc = _start(["--jobs", "2", str(cases)], spool, start_new_session=True)
    _spool_made(spool)
    _wait_for(lambda: _workers(proc.pid), "started its workers")  # they are at work
    # as systemd or `kill -TERM -PGID` does
    stderr = _terminated(proc, lambda proc: os.killpg(proc.pid, signal.SIGTERM))
    assert "terminated after" in stderr and "worker process" not in stderr
    assert list(spool.iterdir()) == []


@pytest.mark.slow  # starts processes
def test_an_ignored_sigterm_stays_ignored(tmp_path):
    cases, spool = _many(tmp_path, 3000)
    proc = _start(
        ["--jobs", "2", str(cases)],
        spool,
        preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_IGN),
    )
    try:
        _spool_made(spool)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 1  # ran to the end (some cases are invalid)
    finally:
        proc.kill()
        proc.stderr.close()


@pytest.mark.slow  # starts processes
def test_without_a_usable_temporary_directory_records_still_come_back(monkeypatch):
    import tempfile

    def unusable(*args, **kwargs):
        raise FileNotFoundError("No usable temporary directory found")

    monkeypatch.setattr(tempfile, "mkdtemp", unusable)
    data = _mixed_cases(2 * chunk_size(2) + 9)
    one = invoke("--jobs", "1", "-", input=data)
    two = invoke("--jobs", "2", "-", input=data)
    assert two.exception is None or isinstance(two.exception, SystemExit)
    assert one.stdout == two.stdout and one.exit_code == two.exit_code == 1


def test_no_chunk_is_larger_than_the_chunk_size(monkeypatch, tmp_path):
    from triage import runner
    from triage.cases import iter_raw_cases

    monkeypatch.setattr(runner, "CHUNK", 16)
    size = chunk_size(2)
    (tmp_path / "a.jsonl").write_text(_mixed_cases(10))  # blocks cut short at a file's end
    lines = _mixed_cases(100).splitlines()
    lines[40] = '{"answers": {"note": "' + "x" * 2**20 + '"}}'  # and at an overlong line
    (tmp_path / "b.jsonl").write_text("\n".join(lines) + "\n")
    items = iter_raw_cases([str(tmp_path)], parse=False, block=size)
    chunks = list(evaluate_chunks(items, None, jobs=2))
    assert all(c.units <= size for c in chunks)
    assert sum(c.units for c in chunks) == 110
    assert sum(c.size for c in chunks) == 110  # every line is a case (or its error)
