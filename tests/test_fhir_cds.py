"""CDS Hooks: discovery and the service's cards, shaped as the specification's examples, and bad
requests refused with a 4xx and one line."""

from __future__ import annotations

import json
from uuid import UUID

import pytest
from conftest import ROOT
from pydantic import ValidationError

from triage.cases import Case, iter_cases
from triage.fhir.cds import (
    CardsResponse,
    Discovery,
    HookRequest,
    cds_discovery,
    cds_service,
    outcome_words,
)
from triage.fhir.questionnaire import question_text
from triage.fhir.responses import response
from triage.incomplete import urgent_unanswered

# Shaped as the examples of the CDS Hooks 2.0 specification (discovery, a call, a response).
SPEC_DISCOVERY = {
    "services": [
        {
            "hook": "patient-view",
            "title": "Greeter",
            "description": "Says hello",
            "id": "greeter",
            "prefetch": {"patientToGreet": "Patient/{{context.patientId}}"},
        },
        {"hook": "order-select", "description": "Echoes orders", "id": "echo"},
    ]
}
SPEC_REQUEST = {
    "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
    "fhirServer": "https://ehr.example.org/fhir",
    "hook": "patient-view",
    "fhirAuthorization": {
        "access_token": "opaque",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/Patient.read",
        "subject": "cds-service",
    },
    "context": {"userId": "Practitioner/example", "patientId": "1288992"},
    "prefetch": {"patientToGreet": {"resourceType": "Patient", "id": "1288992"}},
    "extension": {"com.example.timestamp": "2017-11-27T22:13:25Z"},
}
SPEC_RESPONSE = {
    "cards": [
        {
            "uuid": "4e0a3a1e-3283-4575-ab82-028d55fe2719",
            "summary": "Example Card",
            "indicator": "info",
            "detail": "This is an example card.",
            "source": {"label": "Static CDS Service Example", "url": "https://example.com"},
            "links": [
                {"label": "Launch", "url": "https://smart.example.com/launch", "type": "smart"}
            ],
        },
        {
            "summary": "Another card",
            "indicator": "warning",
            "source": {"label": "Static CDS Service Example"},
            "overrideReasons": [
                {"code": "refused", "system": "http://example.org/override", "display": "Refused"}
            ],
            "suggestions": [
                {
                    "label": "Cancel it",
                    "uuid": "e56e1945-20b3-4393-8503-a1a20fd73152",
                    "actions": [
                        {
                            "type": "delete",
                            "description": "Remove the order",
                            "resourceId": "ServiceRequest/1",
                        }
                    ],
                }
            ],
            "selectionBehavior": "at-most-one",
        },
    ],
    "systemActions": [{"type": "update", "resource": {"resourceType": "ServiceRequest"}}],
}


def test_the_models_read_the_specification_s_examples():
    assert Discovery.model_validate(SPEC_DISCOVERY).services[0].id == "greeter"
    assert HookRequest.model_validate(SPEC_REQUEST).context["patientId"] == "1288992"
    assert len(CardsResponse.model_validate(SPEC_RESPONSE).cards) == 2


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r["cards"][0].pop("summary"),
        lambda r: r["cards"][0].update(indicator="urgent"),
        lambda r: r["cards"][0].update(summary="x" * 140),
        lambda r: r["cards"][0]["source"].pop("label"),
        lambda r: r["cards"][0].update(colour="red"),
        lambda r: r["cards"][0]["links"][0].update(type="relative"),
    ],
)
def test_the_models_refuse_what_the_specification_does_not_allow(change):
    doc = json.loads(json.dumps(SPEC_RESPONSE))
    change(doc)
    with pytest.raises(ValidationError):
        CardsResponse.model_validate(doc)


def test_discovery_lists_the_service_with_its_prefetch(triage):
    reply = cds_discovery(triage)
    assert reply.status == 200 and reply.media_type == "application/json"
    doc = json.loads(reply.body)
    (service,) = Discovery.model_validate(doc).services
    assert service.hook == "patient-view" and service.id == "back-neck-triage"
    template = service.prefetch["questionnaireResponse"]
    assert template.startswith("QuestionnaireResponse?patient={{context.patientId}}&questionnaire=")
    assert "null" not in reply.body.decode()  # optional fields are left out, never null


def request(qr, where="prefetch"):
    doc = {
        "hook": "patient-view",
        "hookInstance": "5ae9e5a4-4bd1-4a2b-bd6f-3f7a63a8e0d9",
        "context": {"userId": "Practitioner/1", "patientId": "p1"},
    }
    if where == "prefetch":
        doc["prefetch"] = {"questionnaireResponse": qr}
    elif where == "context":
        doc["context"]["questionnaireResponse"] = qr
    return json.dumps(doc).encode()


def qr_of(triage, case, patient="p1"):
    doc = json.loads(response(triage.rulebase, case.answers, case_id=case.id).model_dump_json())
    doc["subject"] = {"reference": f"Patient/{patient}"}
    return doc


def searchset(*resources):
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def cards_of(reply):
    assert reply.status == 200, reply.body
    return CardsResponse.model_validate(json.loads(reply.body)).cards


def test_every_corpus_case_gets_its_card(triage):
    indicators = {"emergency": "critical", "doctor": "warning"}
    seen = set()
    for case in iter_cases([str(ROOT / "cases")], triage.rulebase):
        assert isinstance(case, Case)
        record = triage.result(case)
        ev = triage.evaluate(case.answers)
        where = ("prefetch", "context")[len(seen) % 2]
        (card,) = cards_of(
            cds_service("back-neck-triage", request(qr_of(triage, case), where), triage)
        )
        if urgent_unanswered(ev):  # not complete: never a self-care (info) card
            assert card.indicator in ("warning", "critical")
            assert card.summary.startswith("Triage not complete: ")
            assert card.detail.startswith("**Triage not complete.**")
        else:
            assert card.indicator == indicators.get(record["disposition"], "info")
            assert card.summary.startswith(outcome_words(record) + ": ")
        assert str(UUID(card.uuid)) == card.uuid
        assert card.source.label.startswith(f"back-neck-triage {triage.rulebase.version} (sha256 ")
        assert card.source.topic.code == record["disposition"]
        assert triage.rulebase.sha256 in card.detail
        for reason in record["reasons"]:
            if reason["noted"]:
                assert reason["rule"] not in card.detail  # words for people: no rule ids
        seen.add(record["disposition"])
    assert seen == {"emergency", "doctor", "physical_therapist", "tool_use", "self_stretching"}


def every_answer(triage, **given):
    """Every question answered (no red flag, the first choice), then ``given`` over them."""
    answers = {}
    for q in triage.rulebase.questions.values():
        if q.type == "yesno":
            answers[q.id] = "no"
        elif q.type in ("integer", "number"):
            answers[q.id] = max(q.min, min(q.max, 40))
        elif q.type == "choice":
            answers[q.id] = q.values[0]
        else:
            answers[q.id] = []
    answers.update(given)
    return answers


def test_a_complete_card_is_written_for_a_clinician(triage):
    case = Case("c", "x", every_answer(triage, location="lower_back", fever="yes"))
    assert triage.result(case)["complete"]
    (card,) = cards_of(cds_service("back-neck-triage", request(qr_of(triage, case)), triage))
    assert card.indicator == "warning"
    assert card.summary == "Doctor, same day: Fever with back or neck pain (possible infection)"
    assert card.detail.startswith("**Triage result:** Doctor, same day.\n\n**Findings**\n\n- ")
    assert "call your doctor" not in card.detail  # the patient's instructions stay theirs
    assert card.links and all(link.type == "absolute" for link in card.links)
    assert all(link.url.startswith("https://") for link in card.links)


def test_an_emergency_card_does_not_tell_the_clinician_to_call_999(triage):
    case = Case("c", "x", every_answer(triage, saddle_numbness="yes"))
    (card,) = cards_of(cds_service("back-neck-triage", request(qr_of(triage, case)), triage))
    record = triage.result(case)
    assert card.indicator == "critical" and record["disposition"] == "emergency"
    assert "drive" not in card.detail and "999" not in card.detail
    assert "drive" in json.dumps(record["plan"])  # what the patient was told


def test_an_incomplete_triage_is_a_warning_with_the_questions_to_ask(triage):
    case = Case("c", "x", {"age": 40, "location": "lower_back"})
    record = triage.result(case)
    assert record["disposition"] == "self_stretching"  # what batch says, answers read as "no"
    (card,) = cards_of(cds_service("back-neck-triage", request(qr_of(triage, case)), triage))
    assert card.indicator == "warning"  # never a self-care (info) card
    assert card.summary.startswith("Triage not complete: ")
    ev = triage.evaluate(case.answers)
    for q in urgent_unanswered(ev):
        assert question_text(triage.rulebase.questions[q]) in card.detail.replace("\\", "")
    assert f"Next to ask: `{ev.next_questions[0].id}`" in card.detail


def test_a_blank_form_is_not_self_care(triage):
    blank = {"resourceType": "QuestionnaireResponse", "status": "completed"}
    blank["subject"] = {"reference": "Patient/p1"}
    (card,) = cards_of(cds_service("back-neck-triage", request(blank), triage))
    assert card.indicator == "warning" and card.summary.startswith("Triage not complete")


def test_a_search_bundle_gives_its_first_response(triage):
    first = qr_of(triage, Case("a", "x", {"chest_symptoms": "yes"}))
    second = qr_of(triage, Case("b", "x", {"age": 30, "location": "neck"}))
    outcome = {"resourceType": "OperationOutcome", "issue": []}
    (card,) = cards_of(
        cds_service("back-neck-triage", request(searchset(outcome, first, second)), triage)
    )
    assert card.indicator == "critical"


@pytest.mark.parametrize("none", [None, searchset()])
def test_no_response_for_the_patient_is_no_card(triage, none):
    assert cards_of(cds_service("back-neck-triage", request(none), triage)) == []


def error_of(reply, status):
    assert reply.status == status and reply.media_type == "application/json"
    body = json.loads(reply.body)
    assert set(body) == {"error"} and set(body["error"]) == {"message", "field"}
    return body["error"]


def test_no_answers_at_all_is_412(triage):
    error = error_of(cds_service("back-neck-triage", request(None, where="nowhere"), triage), 412)
    assert error["message"].startswith("no answers: give the QuestionnaireResponse")


def test_bad_requests_are_4xx_with_one_line(triage):
    bad_answer = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": [{"linkId": "age", "answer": [{"valueInteger": 200}]}],
    }
    cases = [
        ("back-neck-triage", request(bad_answer), 422, "answers.age", "200 is out of range"),
        ("back-neck-triage", request({"resourceType": "Patient"}), 422, "resourceType", "expected"),
        ("back-neck-triage", request([1]), 422, "prefetch.questionnaireResponse", "expected"),
        ("back-neck-triage", b'{"hook": "patient-view"}', 422, "hookInstance", "required"),
        ("back-neck-triage", b"{", 400, None, "invalid JSON"),
        ("back-neck-triage", b"x" * (2**20 + 1), 413, None, "request body too large"),
        ("other", request(None), 404, None, "no CDS service 'other'"),
    ]
    for service_id, body, status, field, words in cases:
        error = error_of(cds_service(service_id, body, triage), status)
        assert error["field"] == field and words in error["message"], error
        assert "\n" not in error["message"]
