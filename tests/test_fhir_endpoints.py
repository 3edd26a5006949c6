"""The HTTP-free endpoints a server mounts; the FHIR library kept out of what does not use it."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

from conftest import ROOT
from fhir_checks import valid

from triage.fhir.endpoints import code_system, endpoints, questionnaire


def test_the_routes_to_mount(triage):
    routes = {(e.method, e.path): e for e in endpoints(triage)}
    assert set(routes) == {
        ("POST", "/fhir/Questionnaire/$next-question"),
        ("GET", "/fhir/metadata"),
        ("GET", "/fhir/Questionnaire"),
        ("GET", "/fhir/Questionnaire/{id}"),
        ("GET", "/fhir/CodeSystem"),
        ("GET", "/fhir/CodeSystem/{id}"),
        ("GET", "/fhir/OperationDefinition/{id}"),
        ("GET", "/fhir/Library/{id}"),
        ("GET", "/cds-services"),
        ("POST", "/cds-services/{id}"),
    }
    read = routes[("GET", "/fhir/Questionnaire/{id}")].handle
    assert read(b"", id="back-neck-triage").status == 200
    missing = read(b"", id="phq-9")
    assert missing.status == 404 and json.loads(missing.body)["resourceType"] == "OperationOutcome"
    doc = routes[("POST", "/fhir/Questionnaire/$next-question")].handle(
        b'{"resourceType": "QuestionnaireResponse", "status": "in-progress"}'
    )
    assert doc.status == 200
    assert routes[("GET", "/cds-services")].handle(b"").status == 200
    assert routes[("POST", "/cds-services/{id}")].handle(b"{", id="back-neck-triage").status == 400
    assert routes[("GET", "/fhir/CodeSystem/{id}")].handle(b"", id="nope").status == 404


def test_the_resources_served_are_the_exported_ones(triage):
    reply = questionnaire(triage)
    assert reply.media_type == "application/fhir+json"
    assert valid(reply.body, triage.rulebase)["version"] == triage.rulebase.version
    for kind in ("answers", "dispositions", "rules"):
        reply = code_system(f"back-neck-triage-{kind}", triage)
        assert valid(reply.body, triage.rulebase)["resourceType"] == "CodeSystem"


CHECK = """
import sys
from click.testing import CliRunner
from triage.cli import main
result = CliRunner().invoke(main, sys.argv[1:], input='{"answers": {"age": 40}}\\n')
assert result.exit_code == 0, result.output
print(sorted({m.split(".")[0] for m in sys.modules if m.startswith(("fhir", "pydantic"))}))
"""


def loaded(*args):
    out = subprocess.run(
        [sys.executable, "-c", CHECK, *args], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_the_fhir_library_loads_only_for_fhir_input_or_output():
    assert loaded("--version") == "[]"
    assert loaded("batch", "--jobs", "1", "-") == "[]"
    assert "'fhir'" in loaded("batch", "--jobs", "1", "--format", "fhir", "-")


def test_knowledge_and_engine_do_not_import_the_fhir_package():
    for path in (ROOT / "triage").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and "fhir" in node.module:
                # only the readers and writers, and only lazily (inside a function)
                assert path.name in ("cases.py", "formats.py"), path
                assert node.col_offset > 0, f"{path.name} imports FHIR at start-up"


def test_each_result_a_request_produces_goes_to_the_audit(triage):
    seen = []
    routes = {
        (e.method, e.path): e for e in endpoints(triage, audit=lambda r, p: seen.append((r, p)))
    }
    start = {"resourceType": "QuestionnaireResponse", "status": "in-progress"}
    routes[("POST", "/fhir/Questionnaire/$next-question")].handle(json.dumps(start).encode())
    assert seen == []  # no result yet: a screen to answer
    answers = dict(start, item=[{"linkId": "age", "answer": [{"valueInteger": 12}]}])
    answers["item"].append(
        {
            "linkId": "tearing_pain",
            "answer": [
                {
                    "valueCoding": {
                        "system": "https://triage.example.org/fhir/CodeSystem/back-neck-triage-answers",
                        "code": "yes",
                    }
                }
            ],
        }
    )
    reply = routes[("POST", "/fhir/Questionnaire/$next-question")].handle(
        json.dumps(answers).encode()
    )
    assert json.loads(reply.body)["status"] == "completed"
    hook = {
        "hook": "patient-view",
        "hookInstance": "x",
        "context": {
            "patientId": "p1",
            "questionnaireResponse": dict(answers, subject={"reference": "Patient/p1"}),
        },
    }
    routes[("POST", "/cds-services/{id}")].handle(json.dumps(hook).encode(), id="back-neck-triage")
    assert [(r["disposition"], p) for r, p in seen] == [
        ("emergency", "/fhir/Questionnaire/$next-question"),
        ("emergency", "/cds-services"),
    ]
