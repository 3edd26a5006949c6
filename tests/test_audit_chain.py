"""The audit log as evidence: chained records that show a changed, deleted, moved or added
line; whole lines from the threads of one process; a log rotated under a running writer."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from conftest import CALM, RUNNER

from triage.audit import GENESIS, AuditLog, append_decision, read_log, verify
from triage.cases import Case
from triage.cli import main


def run(*args: str):
    return RUNNER.invoke(main, list(args))


@pytest.fixture()
def log(tmp_path: Path, triage) -> Path:
    """A log of five decisions, written one process and one open at a time."""
    path = tmp_path / "audit.jsonl"
    for i in range(5):
        answers = {**CALM, "severity": i}
        append_decision(path, triage.result(Case(f"c{i}", "test", answers)), command="test")
    return path


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_each_record_carries_the_hash_of_the_line_before(log):
    raw = lines(log)
    records = [json.loads(x) for x in raw]
    assert records[0]["prev"] == GENESIS
    import hashlib

    for before, record in zip(raw, records[1:], strict=False):
        assert record["prev"] == hashlib.sha256(before.rstrip(b"\n")).hexdigest()
    report = verify(log)
    assert report["breaks"] == [] and report["records"] == 5
    result = run("audit", "--verify", str(log))
    assert result.exit_code == 0 and "5 record(s), the chain is whole" in result.output
    assert report["last_hash"] in result.output


def tampered(log: Path, change) -> list[int]:
    raw = lines(log)
    log.write_bytes(b"".join(change(raw)))
    result = run("audit", "--verify", str(log))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return [b["line"] for b in verify(log)["breaks"]]


def edit(raw: list[bytes]) -> list[bytes]:
    raw[1] = raw[1].replace(b'"severity":1', b'"severity":9', 1)
    assert b'"severity":9' in raw[1]
    return raw


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (edit, [3]),  # line 2 changed: line 3 no longer follows it
        (lambda r: r[:2] + r[3:], [3]),  # line 3 deleted
        (lambda r: [r[0], r[2], r[1], *r[3:]], [2, 3, 4]),  # lines 2 and 3 swapped
        (lambda r: [*r[:2], r[4], *r[2:]], [3, 4]),  # a copy of line 5 put in as line 3
        (lambda r: r[1:], [1]),  # the first line deleted
        (lambda r: [*r[:2], b"\n", *r[2:]], [3, 4]),  # a blank line added
    ],
    ids=["edited", "deleted", "reordered", "inserted", "first-deleted", "blank"],
)
def test_verify_says_where_the_chain_breaks(log, change, where):
    assert tampered(log, change) == where


def test_verify_refuses_a_duplicate_key_and_nan(log):
    def duplicate(raw):
        raw[2] = raw[2].replace(b'{"prev"', b'{"kind":"x","prev"', 1)
        return raw

    def nan(raw):
        raw[3] = raw[3].replace(b'"severity":3', b'"severity":NaN', 1)
        assert b"NaN" in raw[3]
        return raw

    assert 3 in tampered(log, duplicate)
    problems = {b["line"]: b["problem"] for b in verify(log)["breaks"]}
    assert "duplicate key 'kind'" in problems[3]
    assert 4 in tampered(log, nan)
    problems = {b["line"]: b["problem"] for b in verify(log)["breaks"]}
    assert "NaN is not a JSON value" in problems[4]
    # the summary skips both lines, as it skips any line that is not a record
    warned: list[str] = []
    assert len(list(read_log(log, warned.append))) == 3 and len(warned) == 2


def test_replay_and_summary_still_read_a_chained_log(log):
    assert run("audit", "--replay", "--exit-code", str(log)).exit_code == 0
    assert "5 record(s)" in run("audit", str(log)).output


def test_threads_sharing_one_log_write_whole_chained_lines(tmp_path):
    path = tmp_path / "audit.jsonl"
    shared = AuditLog(path).open()
    threads, each = 8, 150
    start = threading.Barrier(threads)

    def write(name: str) -> None:
        start.wait()
        for i in range(each):
            shared.append(
                {"result": {"disposition": "x"}, "writer": name, "seq": i, "pad": "p" * 3000}
            )

    workers = [threading.Thread(target=write, args=(f"t{n}",)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
        assert not w.is_alive()
    shared.close()
    raw = path.read_bytes()
    assert raw.count(b"\n") == threads * each and b"\n\n" not in raw
    assert verify(path)["breaks"] == []
    seen = {(r["writer"], r["seq"]) for r in (json.loads(x) for x in raw.splitlines())}
    assert len(seen) == threads * each


@pytest.mark.parametrize("how", ["moved", "deleted"])
def test_a_rotated_log_is_reopened_at_its_path(tmp_path, how):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path).open()
    log.append({"result": {"disposition": "x"}, "n": 1})
    old = tmp_path / "audit.jsonl.1"
    if how == "moved":
        os.rename(path, old)
    else:
        path.unlink()
    log.append({"result": {"disposition": "x"}, "n": 2})
    log.append({"result": {"disposition": "x"}, "n": 3})
    log.close()
    new = [json.loads(x) for x in path.read_text().splitlines()]
    assert [r["n"] for r in new] == [2, 3] and new[0]["prev"] == GENESIS
    assert verify(path)["breaks"] == []
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    if how == "moved":
        assert [json.loads(x)["n"] for x in old.read_text().splitlines()] == [1]


def test_a_physical_therapist_decision_lists_its_rules_apart_from_the_overruled(tmp_path, triage):
    answers = {**CALM, "severity": 8, "sensations": ["tightness"], "location": "upper_back"}
    for q in ("osteoporosis_or_steroids", "blood_thinners", "hypermobility", "pregnant"):
        answers[q] = "no"
    record = triage.result(Case("pt", "test", answers))
    assert record["disposition"] == "physical_therapist"
    assert "tool-tight-back-muscles" in record["fired"]
    entry = append_decision(tmp_path / "audit.jsonl", record)
    assert "tool-tight-back-muscles" not in entry["result"]["reasons"]
    assert "tool-tight-back-muscles" in entry["result"]["overruled"]
    assert entry["result"]["reasons"] == [r["rule"] for r in record["reasons"] if r["main"]]
    assert entry["decision_id"] and len(entry["decision_id"]) == 32
    again = append_decision(tmp_path / "audit.jsonl", record)
    assert again["decision_id"] != entry["decision_id"]
    given = append_decision(tmp_path / "audit.jsonl", {**record, "decision_id": "d-1"})
    assert given["decision_id"] == "d-1"


def test_verify_in_json_and_with_an_unchained_older_line(log):
    older = json.loads(lines(log)[0])
    del older["prev"]
    log.write_bytes(json.dumps(older).encode() + b"\n" + log.read_bytes())
    result = run("audit", "--verify", "--format", "json", str(log))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [b["line"] for b in report["breaks"]] == [1, 2]
    assert "not chained" in report["breaks"][0]["problem"]
    assert run("audit", "--verify", "--replay", str(log)).exit_code == 2
