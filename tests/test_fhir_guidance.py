"""``triage batch --format fhir``: a GuidanceResponse per result, an OperationOutcome per error,
valid, in input order, the same bytes with one worker or several."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT
from fhir_checks import valid

from triage.cases import Case, iter_cases
from triage.cli import main
from triage.fhir import canonical


def params(resource):
    (outputs,) = resource["contained"]
    assert resource["outputParameters"]["reference"] == f"#{outputs['id']}"
    out: dict[str, list] = {}
    for p in outputs["parameter"]:
        value = next(v for k, v in p.items() if k.startswith("value"))
        out.setdefault(p["name"], []).append(value)
    return out


def test_each_result_is_a_guidance_response_with_what_the_record_says(triage, runner):
    rb = triage.rulebase
    result = runner.invoke(main, ["batch", "--format", "fhir", "--jobs", "1", str(ROOT / "cases")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    cases = [c for c in iter_cases([str(ROOT / "cases")], rb) if isinstance(c, Case)]
    assert len(lines) == len(cases)
    for case, line in zip(cases, lines, strict=True):
        record = triage.result(case)
        doc = valid(line, rb)
        assert doc["resourceType"] == "GuidanceResponse"
        assert doc["requestIdentifier"]["value"] == case.id
        assert doc["moduleCanonical"] == canonical.library_canonical(rb.identity())
        sha = [
            e["valueString"]
            for e in doc["extension"]
            if e["url"] == canonical.extension_url("rulebase-sha256")
        ]
        assert sha == [rb.sha256]
        assert doc["status"] == ("success" if record["complete"] else "data-required")
        wanted = [r["extension"][0]["valueString"] for r in doc.get("dataRequirement", [])]
        assert wanted == record["unanswered"]
        assert [r["coding"][0]["code"] for r in doc.get("reasonCode", [])] == [
            r["rule"] for r in record["reasons"]
        ]
        assert [r["text"] for r in doc.get("reasonCode", [])] == [
            r["text"] for r in record["reasons"]
        ]
        out = params(doc)
        assert out["disposition"][0]["code"] == record["disposition"]
        assert out.get("timeframe", [None]) == [record["timeframe"]]
        assert out["label"] == [record["label"]]
        assert [f["code"] for f in out["fired"]] == record["fired"]
        assert out.get("unanswered", []) == record["unanswered"]


def test_an_error_record_is_an_operation_outcome_with_its_one_line(tmp_path, triage, runner):
    (tmp_path / "bad.yaml").write_text("id: typo\nanswers: {chest_symptom: yes}\n")
    result = runner.invoke(main, ["batch", "--format", "fhir", str(tmp_path / "bad.yaml")])
    assert result.exit_code == 1
    doc = valid(result.output.splitlines()[0], triage.rulebase)
    (issue,) = doc["issue"]
    where = f"{tmp_path / 'bad.yaml'}: case 'typo'"
    line = f"{where}: answers.chest_symptom: unknown question id 'chest_symptom'"
    assert doc["resourceType"] == "OperationOutcome" and issue["severity"] == "error"
    assert issue["diagnostics"] == line
    assert "expression" not in issue  # a YAML case has no FHIRPath
    assert f"error: {line}" in result.output


@pytest.mark.slow  # starts processes
def test_one_worker_and_several_write_the_same_bytes(tmp_path, triage):
    """Workers build the resources (the writer's encoder runs in them); the output must not
    depend on how many there are."""
    (tmp_path / "bad.jsonl").write_text('{"answers": {"age": 200}}\nnot json\n{"answers": {}}\n')
    runs = [
        subprocess.run(
            [
                sys.executable,
                "-m",
                "triage",
                "batch",
                "--format",
                "fhir",
                "--jobs",
                jobs,
                str(ROOT / "cases"),
                str(tmp_path / "bad.jsonl"),
            ],
            capture_output=True,
            check=False,
        )
        for jobs in ("1", "2")
    ]
    assert runs[0].returncode == runs[1].returncode == 1
    corpus = list(iter_cases([str(ROOT / "cases")], triage.rulebase))  # grows with the rules
    assert runs[0].stdout == runs[1].stdout
    lines = runs[0].stdout.splitlines()
    assert len(lines) == len(corpus) + 3  # one resource per input case, the bad ones too
    last = [valid(line, triage.rulebase) for line in lines[-3:]]
    assert [doc["resourceType"] for doc in last] == ["OperationOutcome"] * 2 + ["GuidanceResponse"]
    assert last[-1]["status"] == "data-required"  # no answers: the questions still to ask
