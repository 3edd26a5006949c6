"""``triage explain LOG --line N`` or ``--id ID``: a reviewer given an audit log line gets
that decision's explanation directly."""

from __future__ import annotations

import json

import pytest
from conftest import CALM, RUNNER

from triage.audit import append_decision
from triage.cases import Case
from triage.cli import main


def run(*args: str):
    return RUNNER.invoke(main, list(args))


@pytest.fixture()
def log(tmp_path, triage):
    path = tmp_path / "audit.jsonl"
    append_decision(path, triage.result(Case("calm", "t", CALM)), command="test")
    append_decision(path, triage.result(Case("fever", "t", {**CALM, "fever": "yes"})))
    return path


def decision_ids(path):
    return [json.loads(x)["decision_id"] for x in path.read_text().splitlines()]


def test_line_n_explains_that_decision(log):
    result = run("explain", str(log), "--line", "2")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Logged: {log} line 2, ")
    assert "Case fever" in result.output and "infection-fever" in result.output
    assert "Disposition: doctor, same_day" in result.output


def test_id_finds_the_decision_by_its_decision_id(log):
    first = decision_ids(log)[0]
    result = run("explain", str(log), "--id", first, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["logged"]["decision_id"] == first and data["logged"]["line"] == 1
    assert data["id"] == "calm" and data["disposition"] == data["logged"]["disposition"]


def test_a_log_without_a_choice_or_with_a_wrong_one_is_one_line(log):
    result = run("explain", str(log))
    assert (
        result.exit_code == 2 and "is an audit log: choose a decision with --line" in result.output
    )
    for args in (["--line", "9"], ["--id", "nope"]):
        result = run("explain", str(log), *args)
        assert result.exit_code == 2 and "no decision record" in result.output
        assert "Traceback" not in result.output


def test_a_decision_that_would_now_differ_says_so(log):
    lines = log.read_text().splitlines()
    record = json.loads(lines[1])
    record["result"].update(disposition="self_care", timeframe=None)
    log.write_text(lines[0] + "\n" + json.dumps(record) + "\n")
    result = run("explain", str(log), "--line", "2")
    assert result.exit_code == 0
    note = "note: the log recorded self_care; under the current rule base the decision is"
    assert f"{note} doctor (same_day)" in result.stderr


def test_a_broken_line_is_named(log):
    with open(log, "a") as fh:
        fh.write('{"kind": "triage-decision", "answ\n')
    result = run("explain", str(log), "--line", "3")
    assert result.exit_code == 2
    assert "line 3: incomplete or invalid JSON" in result.stderr
