"""`triage serve` answers the FHIR and CDS Hooks endpoints of triage/fhir/ over HTTP."""

from __future__ import annotations

import json

from web_support import client

from triage.audit import read_log

FHIR = {"content-type": "application/fhir+json"}
ANSWERS = "https://triage.example.org/fhir/CodeSystem/back-neck-triage-answers"


def test_the_questionnaire_and_code_systems_are_served(triage):
    with client(triage) as api:
        q = api.get("/fhir/Questionnaire/back-neck-triage")
        assert q.status_code == 200, q.text
        assert q.headers["content-type"].startswith("application/fhir+json")
        doc = q.json()
        assert doc["resourceType"] == "Questionnaire"
        assert doc["version"] == triage.rulebase.version
        missing = api.get("/fhir/Questionnaire/nope")
        assert missing.status_code == 404
        assert missing.json()["resourceType"] == "OperationOutcome"
        assert api.get("/cds-services").json()["services"]


def test_next_question_over_http_asks_the_emergency_checklist_then_finishes(triage, tmp_path):
    log = tmp_path / "audit.jsonl"
    with client(triage, audit_log=str(log)) as api:
        start = {"resourceType": "QuestionnaireResponse", "status": "in-progress"}
        first = api.post(
            "/fhir/Questionnaire/$next-question", content=json.dumps(start), headers=FHIR
        )
        assert first.status_code == 200, first.text
        text = first.text
        for member in triage.rulebase.groups["emergency_signs"].members:
            assert member in text
        answered = {
            **start,
            "item": [
                {
                    "linkId": "emergency_signs",
                    "item": [
                        {
                            "linkId": "chest_symptoms",
                            "answer": [{"valueCoding": {"system": ANSWERS, "code": "yes"}}],
                        }
                    ],
                }
            ],
        }
        done = api.post(
            "/fhir/Questionnaire/$next-question", content=json.dumps(answered), headers=FHIR
        )
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "completed"
        assert [e.record["result"]["disposition"] for e in read_log(log)] == ["emergency"]
        no_system = json.loads(json.dumps(answered))
        del no_system["item"][0]["item"][0]["answer"][0]["valueCoding"]["system"]
        refused = api.post(
            "/fhir/Questionnaire/$next-question", content=json.dumps(no_system), headers=FHIR
        )
        assert refused.status_code == 422
        assert "answers.chest_symptoms" in refused.json()["issue"][0]["diagnostics"]


def test_bad_fhir_input_is_a_4xx_with_one_line_never_a_5xx(triage):
    with client(triage) as api:
        for body in (b"not json", b'{"resourceType": "Patient"}', b"[]"):
            reply = api.post("/fhir/Questionnaire/$next-question", content=body, headers=FHIR)
            assert 400 <= reply.status_code < 500, (body, reply.text)
            assert "Traceback" not in reply.text
        cds = api.post(
            "/cds-services/nope", content=b"{}", headers={"content-type": "application/json"}
        )
        assert cds.status_code == 404
        wrong = api.get("/cds-services/back-neck-triage")
        assert wrong.status_code == 405 and "error" in wrong.json()
