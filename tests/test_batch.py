"""`triage batch` and `triage --version`: records in input order, bad input never loses a case."""

from __future__ import annotations

import json

import pytest
from conftest import RUNNER

from triage import __version__
from triage.cli import main


def invoke(*args, input=None):
    return RUNNER.invoke(main, list(args), input=input)


def records(output):
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


def test_batch_jsonl_one_record_per_case_in_order(tmp_path):
    (tmp_path / "a.yaml").write_text("id: first\nanswers: {saddle_numbness: yes}\n")
    (tmp_path / "b.yaml").write_text(
        "- {id: second, answers: {age: 30, severity: 7}}\n- {answers: {fever: yes}}\n"
    )
    result = invoke("batch", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"))
    assert result.exit_code == 0, result.output
    recs = records(result.stdout)
    assert [r["id"] for r in recs] == ["first", "second", "b[2]"]
    assert [r["disposition"] for r in recs] == ["emergency", "physical_therapist", "doctor"]
    first = recs[0]
    for key in (
        "reasons",
        "fired",
        "unanswered",
        "complete",
        "plan",
        "cautions",
        "rulebase",
        "trail",
    ):
        assert key in first
    assert len(first["rulebase"]["sha256"]) == 64
    assert first["trail"][0]["rule"] == "ces-saddle-numbness"
    assert first["trail"][0]["matched"] == {"saddle_numbness": "yes"}


def test_batch_reads_jsonl_from_stdin():
    lines = "\n".join(json.dumps({"id": f"s{i}", "answers": {"severity": i}}) for i in range(11))
    result = invoke("batch", "-", input=lines + "\n")
    assert result.exit_code == 0
    recs = records(result.stdout)
    assert [r["id"] for r in recs] == [f"s{i}" for i in range(11)]
    assert recs[9]["disposition"] == "doctor" and recs[7]["disposition"] == "physical_therapist"


def test_batch_json_format_is_one_array(tmp_path):
    (tmp_path / "a.json").write_text(
        json.dumps([{"answers": {"age": 30}}, {"answers": {"age": 10}}])
    )
    result = invoke("batch", "--format", "json", str(tmp_path / "a.json"))
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [r["id"] for r in data] == ["a[1]", "a[2]"]


BAD = {
    "bad.yaml": ("answers: [unclosed\n", None),
    "bad.json": ('{"answers": ', None),
    "tags.yaml": ("answers: !!python/object/apply:os.system ['echo pwned']\n", None),
    "laughs.yaml": ("a: &a [x, x]\nb: &b [*a, *a]\nanswers: {sensations: *b}\n", None),
    "deep.json": ("[" * 100000 + "]" * 100000, None),
    "binary.yaml": (b"\xff\xfe\x00\x01garbage", None),
    "empty.yaml": ("", None),
    "unknown.yaml": ("answers: {agee: 30}\n", "answers.agee"),
    "type.yaml": ("answers: {age: thirty}\n", "answers.age"),
    "range.yaml": ("answers: {severity: 11}\n", "answers.severity"),
    "choice.yaml": ("answers: {location: knee}\n", "answers.location"),
    "multi.yaml": ("answers: {sensations: [ache, itch]}\n", "answers.sensations"),
    "noanswers.yaml": ("id: x\n", "answers"),
    "notmapping.yaml": ("- 1\n- 2\n", None),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_gets_an_error_record_and_the_rest_still_run(tmp_path, name, runner):
    content, field = BAD[name]
    bad = tmp_path / name
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    good = tmp_path / "zz-good.yaml"
    good.write_text("answers: {age: 30}\n")
    result = runner.invoke(main, ["batch", str(tmp_path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    recs = records(result.stdout)
    errors = [r for r in recs if "error" in r]
    assert errors and all(r["source"].endswith(name) for r in errors)
    assert recs[-1]["id"] == "zz-good" and recs[-1]["disposition"] == "self_stretching"
    if field:
        assert errors[0]["error"]["field"] == field
    # one line on stderr per error, naming the file and the case
    err_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(err_lines) == len(errors)
    assert all(name in line for line in err_lines)


def test_yaml_python_tags_execute_nothing(tmp_path):
    marker = tmp_path / "pwned"
    (tmp_path / "t.yaml").write_text(
        f"answers: !!python/object/apply:os.system ['touch {marker}']\n"
    )
    invoke("batch", str(tmp_path / "t.yaml"))
    assert not marker.exists()


def test_true_false_are_yes_no(tmp_path):
    (tmp_path / "b.yaml").write_text("answers: {chest_symptoms: true, fever: false}\n")
    rec = records(invoke("batch", str(tmp_path / "b.yaml")).stdout)[0]
    assert rec["disposition"] == "emergency"


def test_csv_error_column_names_the_field_only_when_there_is_one():
    result = invoke("batch", "--format", "csv", "-", input='{"answers": {"age": 300}}\nnot json\n')
    rows = result.stdout.splitlines()[1:]
    assert rows[0].endswith(",answers.age: 300 is out of range: a whole number from 0 to 120")
    assert rows[1].split(",")[-1].startswith("line 2: invalid JSON")


def test_table_shows_when_a_case_is_incomplete():
    result = invoke("batch", "--format", "table", "-", input='{"answers": {"age": 30}}\n')
    assert "[incomplete: 45 unanswered]" in result.stdout
    assert "1 case(s): self_stretching 1 (1 incomplete)" in result.stdout
