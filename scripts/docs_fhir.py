"""The generated blocks of docs/fhir.md: real output of the FHIR commands and functions.

``docs_generate.py`` adds ``GENERATED`` to its own blocks; run that script to regenerate.
The JSON blocks that stand for requests to a server are the very bodies the HTTP-free
functions of ``triage.fhir`` take and return.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from readme_examples import console, elide, run

from triage.service import Triage


def _triage() -> Triage:
    return Triage.load(Path(__file__).resolve().parent.parent / "rules")


def _pretty(doc: Any) -> str:
    return json.dumps(_steady(doc), ensure_ascii=False, indent=2)


#: What changes with every run, shown as one fixed example so the page is the same each time.
AUTHORED = "2026-12-07T09:30:00Z"
UUID = "urn:uuid:2f6c3a9e-8d1b-4c57-9a0e-5b7d41c0e8f3"
DIV = '<div xmlns="http://www.w3.org/1999/xhtml">...</div>'


def _steady(doc: Any) -> Any:
    """``doc`` with its times and random identifiers fixed, and narratives cut short."""
    if isinstance(doc, list):
        return [_steady(x) for x in doc]
    if not isinstance(doc, dict):
        return doc
    out = {}
    for key, value in doc.items():
        if key == "authored" and isinstance(value, str):
            value = AUTHORED
        elif key == "div" and isinstance(value, str):
            value = DIV
        elif key in ("value", "id") and isinstance(value, str) and "-" in value:
            if value.startswith("urn:uuid:"):
                value = UUID
            elif value.startswith("web-") and len(value) > 30:
                value = "web-" + UUID.removeprefix("urn:uuid:")
        out[key] = _steady(value)
    return out


def _block(doc: Any, lang: str = "json") -> str:
    return f"```{lang}\n{doc if isinstance(doc, str) else _pretty(doc)}\n```\n"


def _select(doc: dict[str, Any], link: str) -> dict[str, Any] | None:
    """The item of ``doc`` with this linkId, at any depth."""
    for item in doc.get("item", []):
        if item["linkId"] == link:
            return item
        found = _select(item, link)
        if found:
            return found
    return None


def questionnaire_head() -> str:
    doc = json.loads(run(["export", "questionnaire"]))
    head = {k: doc[k] for k in doc if k != "item"}
    return console("uv run triage export questionnaire | jq 'del(.item)'", _pretty(head))


def questionnaire_items() -> str:
    doc = json.loads(run(["export", "questionnaire"]))
    group = _select(doc, "emergency_signs")
    outline = {
        "linkId": group["linkId"],
        "type": group["type"],
        "text": group["text"],
        "item": [i["linkId"] for i in group["item"]],
    }
    out = console(
        "uv run triage export questionnaire | jq '.item[0] | .item |= map(.linkId)'",
        _pretty(outline),
    )
    for link in ("saddle_numbness", "age"):
        out += console(
            f"uv run triage export questionnaire | jq '.. | objects "
            f'| select(.linkId? == "{link}")\'',
            _pretty(_select(doc, link)),
        )
    return out


def answer_codes_table() -> str:
    from triage.fhir.codes import code_system

    cs = code_system(_triage().rulebase, "answers")
    rows = ["| code | display | answers |", "|---|---|---|"]
    for concept in cs.concept:
        props = [p.valueCode for p in concept.property or []]
        if props:
            where = f"`{props[0]}`"
        elif concept.code == "none":
            where = "a multi question, for none of its values"
        else:
            where = "every yes/no question"
        rows.append(f"| `{concept.code}` | {concept.display} | {where} |")
    return "\n".join(rows) + "\n"


def saved_response() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        here = Path(tmp)
        run(["ask", "--save", "visit.fhir.json"], input="1\n", cwd=here)
        saved = (here / "visit.fhir.json").read_text().rstrip()
        batch = run(["batch", "--format", "csv", "visit.fhir.json"], cwd=here)
    ask = "printf '1\\n' | uv run triage ask --save visit.fhir.json > /dev/null"
    return (
        f"```console\n$ {ask}\n```\n"
        + console("cat visit.fhir.json", elide(_pretty(json.loads(saved)), 48))
        + console("uv run triage batch --format csv visit.fhir.json", batch)
    )


ANSWERS = "https://triage.example.org/fhir/CodeSystem/back-neck-triage-answers"


def _entry(rid: str, items: str) -> str:
    return (
        f'    {{"resource": {{"resourceType": "QuestionnaireResponse", "id": "{rid}", '
        f'"status": "completed",\n      "item": [{items}]}}}}'
    )


BUNDLE = (
    '{"resourceType": "Bundle", "type": "collection", "entry": [\n'
    + ",\n".join(
        [
            _entry(
                "ok",
                '{"linkId": "tearing_pain", "answer": [{"valueCoding":\n        '
                f'{{"system": "{ANSWERS}", "code": "yes"}}}}]}}',
            ),
            _entry("typo", '{"linkId": "agee", "answer": [{"valueInteger": 40}]}'),
            _entry("as-text", '{"linkId": "age", "answer": [{"valueString": "40"}]}'),
            _entry(
                "maybe",
                '{"linkId": "fever", "answer": [{"valueCoding":\n        '
                f'{{"system": "{ANSWERS}", "code": "maybe"}}}}]}}',
            ),
            '    {"resource": {"resourceType": "Patient", "id": "p1"}}',
        ]
    )
    + "\n]}\n"
)


def bundle_errors() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "answers.json").write_text(BUNDLE)
        out = run(["batch", "--format", "csv", "answers.json"], cwd=Path(tmp))
    return console("cat answers.json", BUNDLE.rstrip()) + console(
        "uv run triage batch --format csv answers.json", out
    )


def batch_fhir() -> str:
    line = run(["batch", "--format", "fhir", "cases/core/fever-alone.yaml"])
    return console(
        "uv run triage batch --format fhir cases/core/fever-alone.yaml | jq .",
        _pretty(json.loads(line)),
    )


def batch_fhir_error() -> str:
    text = '{"id": "p-17", "answers": {"age": 200}}\n'
    out = run(["batch", "--format", "fhir", "-"], input=text)
    line, message = out.split("\n", 1)
    return console(
        f"printf '{text.rstrip()}\\n' | uv run triage batch --format fhir - | jq .",
        _pretty(json.loads(line)) + "\n" + message,
    )


START = {"resourceType": "QuestionnaireResponse", "status": "in-progress"}


def _post(doc: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    from triage.fhir.next_question import next_question

    reply = next_question(json.dumps(doc).encode(), _triage())
    return reply.status, json.loads(reply.body)


def next_question_first() -> str:
    status, doc = _post(START)
    contained = doc["contained"][0]
    shown = {**doc, "contained": [{**contained, "item": [_outline(i) for i in contained["item"]]}]}
    return (
        "Request body:\n\n"
        + _block(START)
        + f"\nResponse ({status}), the items of the contained questionnaire cut to their "
        "linkIds:\n\n" + _block(shown)
    )


def _outline(item: dict[str, Any]) -> dict[str, Any]:
    out = {k: item[k] for k in ("linkId", "type", "text") if k in item}
    if "item" in item:
        out["item"] = [
            i["linkId"] + (" (required)" if i.get("required") else "") for i in item["item"]
        ]
    return out


def next_question_done() -> str:
    from triage.fhir.responses import response

    rb = _triage().rulebase
    answered = json.loads(
        response(rb, {"chest_symptoms": "yes"}, contained=True, case_id="visit-1").model_dump_json()
    )
    _, first = _post({**START, "id": "visit-1"})
    request = {**first, "item": answered["item"]}
    request["contained"] = ["... as the previous response gave it ..."]
    status, doc = _post({**first, "item": answered["item"]})
    questionnaire, guidance, outputs = doc["contained"]
    shown = {
        **doc,
        "contained": [
            {
                **questionnaire,
                "item": [_outline(i) for i in questionnaire["item"][:-1]]
                + [questionnaire["item"][-1]],
            },
            guidance,
            outputs,
        ],
    }
    return (
        "Request body (the previous response, with the answers):\n\n"
        + _block(request)
        + f"\nResponse ({status}):\n\n"
        + _block(shown)
    )


def next_question_error() -> str:
    doc = {**START, "item": [{"linkId": "age", "answer": [{"valueInteger": 200}]}]}
    status, body = _post(doc)
    return "Request body:\n\n" + _block(doc) + f"\nResponse ({status}):\n\n" + _block(body)


def cds_discovery() -> str:
    from triage.fhir.cds import cds_discovery as discovery

    return _block(json.loads(discovery(_triage()).body))


def cds_call() -> str:
    from triage.fhir.cds import cds_service
    from triage.fhir.responses import response

    triage = _triage()
    answers = {"age": 42, "location": "neck", "fever": "yes", "neck_stiffness_headache": "no"}
    for _ in triage.rulebase.questions:  # the rest answered "no" (none), so it is complete
        questions = [triage.rulebase.questions[q] for q in triage.evaluate(answers).unanswered]
        if not questions:
            break
        answers.update({q.id: "no" if q.type == "yesno" else [] for q in questions})
    qr = json.loads(response(triage.rulebase, answers, case_id="visit-2").model_dump_json())
    qr["subject"] = {"reference": "Patient/1288992"}
    request = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/example", "patientId": "1288992"},
        "prefetch": {
            "questionnaireResponse": {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [{"resource": qr}],
            }
        },
    }
    reply = cds_service("back-neck-triage", json.dumps(request).encode(), triage)
    shown = json.loads(json.dumps(request))
    shown["prefetch"]["questionnaireResponse"]["entry"][0]["resource"] = {
        "resourceType": "QuestionnaireResponse",
        "id": "visit-2",
        "subject": {"reference": "Patient/1288992"},
        "...": "the answers",
    }
    card = json.loads(reply.body)
    card["cards"][0]["uuid"] = "0b7f4e5a-4a8f-4f1e-9d43-2f4c3c6e1a27"  # random in each answer
    detail = card["cards"][0]["detail"]
    return (
        "Request body (the response cut short):\n\n"
        + _block(shown)
        + f"\nResponse ({reply.status}):\n\n"
        + _block(card)
        + "\nThe card's detail, as a CDS client shows it:\n\n"
        + "\n".join(f"> {line}".rstrip() for line in detail.splitlines())
        + "\n"
    )


GENERATED: dict[str, Callable[[], str]] = {
    "fhir-questionnaire": questionnaire_head,
    "fhir-items": questionnaire_items,
    "fhir-codes": answer_codes_table,
    "fhir-saved": saved_response,
    "fhir-bundle-errors": bundle_errors,
    "fhir-batch": batch_fhir,
    "fhir-batch-error": batch_fhir_error,
    "fhir-next-first": next_question_first,
    "fhir-next-done": next_question_done,
    "fhir-next-error": next_question_error,
    "cds-discovery": cds_discovery,
    "cds-call": cds_call,
}
