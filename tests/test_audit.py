"""The audit log: whole records from parallel writers, tolerant reading, summary, replay."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import CALM, RUNNER

from triage import __version__
from triage.audit import AuditLog, append_decision, decision_record, read_log, verify
from triage.cases import Case
from triage.cli import main
from triage.knowledge import bundled_rules_dir

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str):
    return RUNNER.invoke(main, list(args), catch_exceptions=False)


def result(triage, case_id: str, **answers):
    return triage.result(Case(case_id, "test", {**CALM, **answers}))


@pytest.fixture()
def base_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "rules"
    shutil.copytree(bundled_rules_dir(), dest)
    return dest


def test_a_record_holds_time_answers_result_rules_fingerprint_version(tmp_path, triage):
    log = tmp_path / "audit.jsonl"
    entry = append_decision(log, result(triage, "c1", fever="yes"), command="batch")
    lines = log.read_text().splitlines()
    assert len(lines) == 1
    rec = json.loads(lines[0])
    assert rec == entry
    assert rec["time"].endswith("+00:00")
    assert rec["answers"]["fever"] == "yes" and rec["answers"]["sensations"] == ["ache"]
    assert rec["result"]["disposition"] == "doctor" and rec["result"]["timeframe"] == "same_day"
    assert "infection-fever" in rec["fired"]
    assert rec["rulebase"] == triage.rulebase.identity()
    assert rec["version"] == __version__ and rec["command"] == "batch"


WRITER = textwrap.dedent(
    """
    import sys
    from triage.audit import AuditLog
    path, writer, n, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    log = AuditLog(path)
    for i in range(n):
        rec = {"writer": writer, "seq": i, "result": {"disposition": "x"}, "pad": writer[0] * size}
        log.append(rec)
    log.close()
    """
)


@pytest.mark.slow  # starts processes
def test_parallel_writers_lose_and_mangle_nothing(tmp_path):
    log = tmp_path / "audit.jsonl"
    writers, per_writer, size = 8, 150, 20_000  # records far larger than a pipe buffer or a page
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                str(log),
                f"{chr(97 + w)}{w}",
                str(per_writer),
                str(size),
            ],
            cwd=ROOT,
        )
        for w in range(writers)
    ]
    for p in procs:
        assert p.wait(timeout=120) == 0
    raw = log.read_bytes().split(b"\n")
    assert raw[-1] == b"" and len(raw) - 1 == writers * per_writer
    seen = set()
    for line in raw[:-1]:
        rec = json.loads(line)
        assert rec["pad"] == rec["writer"][0] * size
        seen.add((rec["writer"], rec["seq"]))
    assert len(seen) == writers * per_writer
    assert verify(log)["breaks"] == []  # each read the line before it under the file lock


@pytest.mark.slow  # starts processes
def test_append_decision_from_parallel_processes(tmp_path):
    log = tmp_path / "audit.jsonl"
    script = textwrap.dedent(
        """
        import sys
        from triage.audit import append_decision
        from triage.cases import Case
        from triage.service import Triage
        t = Triage.load()
        for i in range(40):
            answers = {"severity": i % 11, "location": "neck"}
            r = t.result(Case(f"{sys.argv[2]}-{i}", "x", answers))
            append_decision(sys.argv[1], r)
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(log), f"w{w}"], cwd=ROOT)
        for w in range(4)
    ]
    for p in procs:
        assert p.wait(timeout=300) == 0
    entries = list(read_log(log, warn=pytest.fail))
    assert len(entries) == 160 and len({e.record["id"] for e in entries}) == 160
    assert verify(log)["breaks"] == []


def test_a_partial_last_line_is_skipped_with_a_warning_and_kept_apart(tmp_path, triage):
    log = tmp_path / "audit.jsonl"
    append_decision(log, result(triage, "first"))
    with open(log, "ab") as fh:  # what a writer killed mid-write would leave
        fh.write(b'{"kind": "triage-decision", "time": "2026-01-01T00:00:00+00:00", "answ')
    warnings: list[str] = []
    assert [e.record["id"] for e in read_log(log, warn=warnings.append)] == ["first"]
    assert len(warnings) == 1 and "line 2" in warnings[0]
    append_decision(log, result(triage, "after"))  # starts on a fresh line
    warnings.clear()
    assert [e.record["id"] for e in read_log(log, warn=warnings.append)] == ["first", "after"]
    assert len(warnings) == 1
    res = run("audit", str(log))
    assert res.exit_code == 0 and "2 record(s)" in res.output and "warning:" in res.output


@pytest.mark.slow  # starts processes
def test_a_killed_writer_leaves_a_log_that_still_reads(tmp_path):
    log = tmp_path / "audit.jsonl"
    script = textwrap.dedent(
        """
        import sys
        from triage.audit import AuditLog
        log = AuditLog(sys.argv[1])
        i = 0
        while True:
            log.append({"seq": i, "result": {"disposition": "x"}, "pad": "p" * 50000})
            i += 1
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(log)], cwd=ROOT)
    deadline = time.time() + 60
    while (not log.exists() or log.stat().st_size < 2_000_000) and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with open(log, "ab") as fh:
        fh.write(b'{"seq": -1, "pa')  # and, for certain, a torn last line
    entries = list(read_log(log, warn=lambda m: None))
    assert len(entries) >= 2
    assert [e.record["seq"] for e in entries] == list(range(len(entries)))
    assert all(len(e.record["pad"]) == 50000 for e in entries)


def test_reading_skips_garbage_and_blank_lines(tmp_path):
    log = tmp_path / "audit.jsonl"
    log.write_bytes(b'\n[1, 2]\n\xff\xfe\n{"result": {"disposition": "x"}}\nnot json\n')
    warnings: list[str] = []
    entries = list(read_log(log, warn=warnings.append))
    assert [e.line for e in entries] == [4]
    assert len(warnings) == 3


def _seed(log: Path, triage) -> None:
    """Five records at known times."""
    with AuditLog(log) as al:
        for case_id, t, answers in [
            ("a", "2026-03-01T10:00:00+00:00", {}),
            ("b", "2026-03-02T10:00:00+00:00", {"fever": "yes"}),
            ("c", "2026-03-03T10:00:00+00:00", {"night_pain": "yes"}),
            ("d", "2026-03-03T23:00:00+00:00", {"severity": 7}),
            ("e", "2026-03-05T10:00:00+00:00", {"fever": "yes", "night_pain": "yes"}),
        ]:
            rec = decision_record(result(triage, case_id, **answers))
            rec["time"] = t
            al.append(rec)


def test_summary_counts_and_filters(tmp_path, triage):
    log = tmp_path / "audit.jsonl"
    _seed(log, triage)

    def summary(*args: str) -> dict:
        res = run("audit", str(log), "--format", "json", *args)
        assert res.exit_code == 0, res.output
        return json.loads(res.output)

    s = summary()
    assert s["records"] == 5
    assert s["dispositions"] == {
        "doctor:same_day": 2,
        "self_stretching": 1,
        "doctor:soon": 1,
        "physical_therapist:within_2_weeks": 1,
    }
    assert s["rules"]["infection-fever"] == 2 and s["rules"]["night-pain"] == 2
    assert s["first"].startswith("2026-03-01") and s["last"].startswith("2026-03-05")
    assert summary("--rule", "night-pain")["records"] == 2
    assert summary("--disposition", "doctor")["records"] == 3
    assert summary("--disposition", "doctor:soon")["records"] == 1
    assert (
        summary("--since", "2026-03-02", "--until", "2026-03-03")["records"] == 3
    )  # until: whole day
    assert summary("--since", "2026-03-03T12:00:00")["records"] == 2
    assert summary("--rule", "infection-fever", "--since", "2026-03-04")["records"] == 1
    text = run("audit", str(log)).output
    assert "5 record(s)" in text and "per disposition:" in text and "per rule" in text
    assert "doctor:same_day" in text and "infection-fever" in text


def test_bad_dates_and_missing_files_are_usage_errors(tmp_path):
    log = tmp_path / "audit.jsonl"
    log.write_text("")
    res = run("audit", str(log), "--since", "last tuesday")
    assert res.exit_code == 2 and "not a date" in res.output
    assert run("audit", str(tmp_path / "nope.jsonl")).exit_code == 2


def test_replay_lists_the_decisions_that_would_now_differ(tmp_path, triage, base_copy):
    log = tmp_path / "audit.jsonl"
    _seed(log, triage)
    same = run("audit", str(log), "--replay", "--exit-code")
    assert same.exit_code == 0 and "0 decision(s) would now differ" in same.output
    f = base_copy / "20-doctor.yaml"
    f.write_text(
        f.read_text()
        .replace("id: night-pain", "id: night-pain-x")
        .replace(
            "      timeframe: soon\n      reason: Pain at night",
            "      timeframe: same_day\n      reason: Pain at night",
        )
    )
    res = run("audit", str(log), "--replay", "--format", "json", "--rules", str(base_copy))
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["records"] == 5
    assert [c["id"] for c in report["changed"]] == [
        "c"
    ]  # "e" stays doctor same_day through its fever
    c = report["changed"][0]
    assert (c["before"]["timeframe"], c["after"]["timeframe"]) == ("soon", "same_day")
    assert c["now_fires"] == ["night-pain-x"] and c["no_longer_fires"] == ["night-pain"]
    text = run("audit", str(log), "--replay", "--rules", str(base_copy), "--exit-code")
    assert text.exit_code == 1
    assert (
        "doctor (soon) -> doctor (same_day)" in text.output
        and "1 decision(s) would now differ" in text.output
    )


def test_replay_reports_records_it_cannot_replay(tmp_path, triage):
    log = tmp_path / "audit.jsonl"
    rec = decision_record(result(triage, "odd"))
    rec["answers"]["retired_question"] = "yes"
    AuditLog(log).append(rec)
    res = run("audit", str(log), "--replay")
    assert res.exit_code == 0 and "cannot replay" in res.output and "retired_question" in res.output


def test_audit_log_option_reads_the_environment(runner):
    import click

    from triage.cli.audit import audit_log_option

    @click.command()
    @audit_log_option
    def probe(audit_log):
        click.echo(audit_log)

    res = runner.invoke(probe, [], env={"TRIAGE_AUDIT_LOG": "/tmp/x.jsonl"})
    assert res.output.strip() == "/tmp/x.jsonl"


def test_an_unwritable_log_fails_on_open(tmp_path):
    with pytest.raises(OSError):
        AuditLog(tmp_path / "no" / "such" / "dir.jsonl").open()


def test_ask_and_batch_append_to_the_audit_log(tmp_path, runner):
    from triage.audit import read_log
    from triage.cli import main

    log = tmp_path / "audit.jsonl"
    case = tmp_path / "c.yaml"
    case.write_text(
        "- {answers: {chest_symptoms: yes}}\n- {answers: {age: 300}}\n- {answers: {age: 30}}\n"
    )
    runner.invoke(main, ["batch", "--audit-log", str(log), str(case)])
    result = runner.invoke(
        main,
        ["ask", "--no-color"],
        input="3\n3\n1\nache\n40\ny\n",
        env={"TRIAGE_AUDIT_LOG": str(log)},
    )
    assert result.exit_code == 0, result.output
    entries = list(read_log(log))
    # two valid batch cases (the invalid one is not a decision) and one interview
    assert len(entries) == 3
    assert [e.outcome[0] for e in entries] == ["emergency", "self_stretching", "emergency"]


@pytest.mark.parametrize(
    "line",
    [
        '{"result": {"disposition": "doctor"}, "fired": 5}',
        '{"result": {"disposition": "doctor"}, "fired": [["a"]]}',
        '{"result": {"disposition": "doctor"}, "rulebase": "x"}',
        '{"result": {"disposition": ["doctor"]}}',
        '{"result": {"disposition": "doctor"}, "answers": [1]}',
        '{"result": {"disposition": "doctor"}, "id": {"a": 1}}',
        '{"result": {"disposition": "doctor"}, "time": 5.5}',
        '{"result": ' * 100_000 + "{}" + "}" * 100_000,
    ],
    ids=[
        "fired-5",
        "fired-nested",
        "rulebase-x",
        "disposition-list",
        "answers-list",
        "id-map",
        "time-number",
        "100000-deep",
    ],
)
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "5 record(s)"),
        (["--rule", "infection-fever"], "2 record(s)"),
        (["--replay"], "replayed 5 record(s)"),
        (["--format", "json", "--replay"], '"records": 5'),
    ],
)
def test_a_line_of_the_wrong_shape_is_skipped_with_a_warning(
    tmp_path, triage, line, args, expected, runner
):
    log = tmp_path / "audit.jsonl"
    _seed(log, triage)
    with open(log, "a") as fh:
        fh.write(line + "\n")
    res = runner.invoke(main, ["audit", str(log), *args])
    assert res.exit_code == 0, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert f"warning: {log}: line 6: " in res.stderr and "skipped" in res.stderr
    assert expected in res.stdout


def test_until_the_last_day_there_is(tmp_path, triage, runner):
    log = tmp_path / "audit.jsonl"
    _seed(log, triage)
    res = runner.invoke(main, ["audit", str(log), "--until", "9999-12-31"])
    assert res.exit_code == 0, res.output
    assert "5 record(s)" in res.stdout
