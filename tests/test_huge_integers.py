"""Integers of more digits than Python writes (4,300): a YAML hexadecimal number is read
without that limit, a JSON one is refused by the parser. Either is one error line naming the
case and the field in every command that reads cases, and a 4xx over HTTP."""

from __future__ import annotations

import json
import sys

import pytest
from conftest import RUNNER
from web_support import client

from triage.cli import main

HEX = "0x" + "f" * 4000  # about 4,800 decimal digits
DIGITS = "9" * (sys.get_int_max_str_digits() + 1)

YAML_CASES = {
    "id": (f"id: {HEX}\nanswers:\n  age: 34\n", "id: a number too long to be an id"),
    "answer key": (f"answers:\n  ? {HEX}\n  : 3\n", "unknown question id"),
    "case key": (f"? {HEX}\n: 3\n", "unknown field"),
    "expect key": (f"answers: {{age: 3}}\nexpect:\n  ? {HEX}\n  : 3\n", "expect."),
    "answer": (f"answers:\n  age: {HEX}\n", "answers.age: a number too long to show"),
    "resourceType": (f"resourceType: {HEX}\n", "resourceType: expected QuestionnaireResponse"),
}
JSON_CASE = '{"answers": {"age": ' + DIGITS + "}}"
COMMANDS = [["batch"], ["explain"], ["ask", "--answers"], ["rules", "coverage"]]


def run(args: list[str]):
    return RUNNER.invoke(main, args, input="")


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("kind", [*YAML_CASES, "json"])
def test_every_command_gives_one_line(tmp_path, command, kind):
    if kind == "json":
        path, text, expect = tmp_path / "case.json", JSON_CASE, "a number of more than"
    else:
        (text, expect), path = YAML_CASES[kind], tmp_path / "case.yaml"
    path.write_text(text)
    result = run([*command, str(path)])
    assert not isinstance(result.exception, ValueError), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code in (1, 2), result.output
    if command != ["rules", "coverage"]:  # coverage counts cases; the error is the others'
        lines = [line for line in result.output.splitlines() if expect in line]
        assert lines and all(str(path) in line for line in lines), result.output


def test_batch_goes_on_after_the_case(tmp_path):
    path = tmp_path / "cases.yaml"
    path.write_text(f"- id: {HEX}\n  answers: {{age: 3}}\n- id: next\n  answers: {{age: 40}}\n")
    result = run(["batch", "--format", "jsonl", str(path)])
    records = [json.loads(x) for x in result.stdout.splitlines()]
    assert [r.get("error") is not None for r in records] == [True, False]
    assert records[1]["id"] == "next"


@pytest.fixture(scope="module")
def api(triage):
    with client(triage) as c:
        yield c


def qr(value: str) -> str:
    return (
        '{"resourceType": "QuestionnaireResponse", "status": "completed", "item": '
        '[{"linkId": "age", "answer": [{"valueInteger": ' + value + "}]}]}"
    )


CDS = (
    '{"hook": "patient-view", "hookInstance": "5ae9e5a4-4bd1-4a2b-bd6f-3f7a63a8e0d9", '
    '"context": {"userId": "Practitioner/1", "patientId": "p1"}, '
    '"prefetch": {"questionnaireResponse": %s}}'
)


@pytest.mark.parametrize(
    ("path", "kind", "body"),
    [
        ("/v1/evaluate", "application/json", JSON_CASE),
        ("/v1/evaluate", "application/json", qr(DIGITS)),
        ("/fhir/Questionnaire/$next-question", "application/fhir+json", qr(DIGITS)),
        ("/cds-services/back-neck-triage", "application/json", CDS % qr(DIGITS)),
    ],
    ids=["case", "v1 fhir", "next-question", "cds"],
)
def test_http_gives_a_400_naming_the_place(api, path, kind, body):
    reply = api.post(path, content=body, headers={"content-type": kind})
    assert reply.status_code == 400, reply.text[:300]
    assert "a number of more than 4,300 digits at line 1 column" in reply.text
