"""What a person reads is never driven by the data: control characters in ids, file names, audit
logs or rule files are escaped (or refused), and a huge value is cut, in every text output."""

from __future__ import annotations

import json

import pytest

from triage.audit import AuditLog, decision_record
from triage.cli import main
from triage.printable import printable

HOSTILE = "a\x1b]0;pwned\x07b\x1b[2J\rc\x9b31m\u202ed"
RAW = ("\x1b", "\x07", "\r", "\x9b", "\u202e")


def raw_control(text: str) -> list[str]:
    return [c for c in RAW if c in text]


def test_printable_escapes_controls_and_keeps_other_text():
    assert printable(HOSTILE) == "a\\x1b]0;pwned\\x07b\\x1b[2J\\rc\\x9b31m\\u202ed"
    assert printable("line\nbreak\ttab") == "line\\nbreak\\ttab"
    kept = "Émile, 👩‍⚕️, 東京, non\u00a0breaking"
    assert printable(kept) == kept
    assert printable("\ud800") == "\\ud800"  # a lone surrogate, as from a JSON escape


def cases_file(tmp_path, *records) -> str:
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def test_the_table_and_stderr_escape_an_id(tmp_path, runner):
    data = cases_file(
        tmp_path,
        {"id": HOSTILE, "answers": {"age": 30}},
        {"id": HOSTILE, "answers": {"age": 300}},  # invalid: its error line names the id
    )
    result = runner.invoke(main, ["batch", "--format", "table", data])
    assert result.exit_code == 1
    assert raw_control(result.stdout) == [] and raw_control(result.stderr) == []
    assert "a\\x1b]0;pwned" in result.stdout
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert "case 'a\\x1b]0;pwned\\x07b" in line
    # the records themselves keep the id as it is: JSON escapes it
    jsonl = runner.invoke(main, ["batch", "--format", "jsonl", data])
    assert json.loads(jsonl.stdout.splitlines()[0])["id"] == HOSTILE


def test_a_file_name_with_a_newline_keeps_its_error_on_one_line(tmp_path, runner):
    bad = tmp_path / "two\nlines\x1b[31m.yaml"
    bad.write_text("answers: {age: old}\n")
    result = runner.invoke(main, ["batch", str(bad)])
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert errors[0].startswith("error: ") and "two\\nlines\\x1b[31m.yaml" in errors[0]
    assert errors[1] == "1 case(s) invalid"


def test_a_1_mb_key_is_cut_in_the_error_line(tmp_path, runner):
    key = "k" * 2**20  # in a .json file: a JSON Lines line that long is refused as such
    data = tmp_path / "c.json"
    data.write_text(json.dumps({"answers": {key: "yes"}}))
    result = runner.invoke(main, ["batch", str(data)])
    assert result.exit_code == 1
    (line, _) = result.stderr.splitlines()
    assert len(line) < 400 and "unknown question id 'kkkk" in line
    record = json.loads(result.stdout)
    assert len(record["error"]["message"]) < 200 and len(record["error"]["field"]) < 200


def test_explain_escapes_the_case_it_names(tmp_path, runner):
    data = cases_file(tmp_path, {"id": HOSTILE, "answers": {"age": 70, "minor_trauma": "yes"}})
    result = runner.invoke(main, ["explain", data])
    assert result.exit_code == 0, result.output
    assert raw_control(result.output) == []
    assert result.output.startswith("Case a\\x1b]0;pwned")


def test_audit_text_escapes_what_the_log_holds(tmp_path, triage, runner):
    from conftest import CALM

    from triage.cases import Case

    log = tmp_path / "audit.jsonl"
    record = decision_record(triage.result(Case(HOSTILE, "x", {**CALM, "fever": "yes"})))
    record["fired"] = [*record["fired"], HOSTILE]
    record["result"]["disposition"] = HOSTILE  # so that a replay lists it as changed
    with AuditLog(log) as al:
        al.append(record)
        al.append({**record, "rulebase": {"name": HOSTILE, "version": "1", "sha256": "0" * 64}})
    with open(log, "a") as fh:
        fh.write(HOSTILE + "\n")  # a broken line: its warning names the file only
    for args in ([], ["--replay"]):
        result = runner.invoke(main, ["audit", str(log), *args])
        assert result.exit_code == 0, result.output
        assert raw_control(result.output) == []
        assert "a\\x1b]0;pwned" in result.stdout


@pytest.mark.parametrize(
    "args",
    [["rules", "list"], ["batch", "-"], ["explain", "-"], ["ask", "--no-input"]],
)
def test_a_control_character_in_a_rule_file_is_refused(rules_copy, args, runner):
    path = rules_copy / "10-emergency.yaml"
    text = path.read_text()
    old = "    title: Numbness around the saddle area (possible cauda equina syndrome)\n"
    assert old in text
    new = '    title: "\\e]0;pwned\\aNumbness around the saddle area"\n'  # YAML escapes: ESC, BEL
    path.write_text(text.replace(old, new, 1))
    result = runner.invoke(main, [*args, "--rules", str(rules_copy)], input="")
    assert result.exit_code == 2
    assert raw_control(result.output) == []
    (line,) = result.output.splitlines()
    assert "10-emergency.yaml: field 'rules[0].title': control character '\\x1b' in text" in line


def test_ask_escapes_the_file_names_it_reports(tmp_path, runner):
    answers = tmp_path / "in\x1b[31m.yaml"
    answers.write_text("answers: {age: old}\n")
    result = runner.invoke(main, ["ask", "--answers", str(answers), "--no-input"])
    assert result.exit_code == 2
    assert raw_control(result.output) == [] and "in\\x1b[31m.yaml" in result.output
    save = tmp_path / "out\x1b[31m.yaml"
    stopped = runner.invoke(main, ["ask", "--save", str(save)], input="")
    assert stopped.exit_code == 1
    assert raw_control(stopped.output) == [] and "out\\x1b[31m.yaml" in stopped.stderr
