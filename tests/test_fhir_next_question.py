"""SDC ``$next-question``, driven as a form filler drives it: to each of the five dispositions,
with the interview's screens, and with bad input refused by a 4xx and one line."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir_checks import valid

from triage.cases import Case, CaseError, iter_cases, validate_case
from triage.fhir import canonical
from triage.fhir.codes import answer_codes
from triage.fhir.next_question import next_question
from triage.fhir.questionnaire import OUTCOME_LINK
from triage.interview import Interview

DISPOSITIONS = ("emergency", "doctor", "physical_therapist", "tool_use", "self_stretching")


def interview_of(triage, case):
    """The screens ``triage ask`` shows for these answers, and its result; None when the case
    leaves a question of those screens unanswered."""
    interview = Interview(triage)
    ev = interview.evaluate()
    screens = []
    while ev.next_questions:
        screen = [q.id for q in ev.next_questions]
        if any(q not in case.answers for q in screen):
            return None
        screens.append(screen)
        interview.give(ev, {q: case.answers[q] for q in screen})
        ev = interview.evaluate()
    return screens, ev.outcome


@pytest.fixture(scope="module")
def by_disposition(triage):
    """One corpus case per disposition whose answers cover every screen its interview asks."""
    found = {}
    for case in iter_cases([str(ROOT / "cases")], triage.rulebase):
        if not isinstance(case, Case):
            continue
        run = interview_of(triage, case)
        if run is not None and run[1].disposition not in found:
            found[run[1].disposition] = (case, *run)
    assert set(found) == set(DISPOSITIONS)
    return found


def fill(triage, items, answers):
    """A form filler's answers to a questionnaire's items: from its answer options."""
    rb = triage.rulebase
    out = []
    for item in items:
        if item["type"] == "group":
            children = fill(triage, item["item"], answers)
            if children:
                out.append({"linkId": item["linkId"], "item": children})
            continue
        link = item["linkId"]
        if item["type"] == "display" or link not in answers:
            continue
        value = answers[link]
        if item["type"] == "choice":
            options = {o["valueCoding"]["code"]: o["valueCoding"] for o in item["answerOption"]}
            q = rb.questions[link]
            values = value if isinstance(value, tuple | list) else [value]
            codes = [answer_codes(rb).code(q, v) for v in values] or ["none"]
            answer = [{"valueCoding": options[code]} for code in codes]
        else:
            answer = [{"valueInteger" if item["type"] == "integer" else "valueDecimal": value}]
        out.append({"linkId": link, "answer": answer})
    return out


def post(triage, doc, status=200):
    reply = next_question(json.dumps(doc).encode(), triage)
    assert reply.status == status, reply.body
    assert reply.media_type == "application/fhir+json"
    return valid(reply.body, triage.rulebase)


def start():
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "in-progress",
        "subject": {"reference": "Patient/p1"},
        "authored": "2026-12-01T09:30:00Z",
    }


@pytest.mark.parametrize("disposition", DISPOSITIONS)
def test_a_form_filler_is_taken_to_each_disposition(triage, by_disposition, disposition):
    case, screens, outcome = by_disposition[disposition]
    doc = post(triage, start())
    asked: list[str] = []
    for screen in screens:
        assert doc["status"] == "in-progress"
        (questionnaire,) = doc["contained"]
        assert doc["questionnaire"] == f"#{questionnaire['id']}"
        assert questionnaire["derivedFrom"] == [canonical.questionnaire_canonical(triage.rulebase)]
        links = links_of(questionnaire["item"])
        assert links == asked + screen  # the screens so far, then the next, as ask shows them
        assert required_of(questionnaire["item"]) == set(screen)
        assert doc["subject"] == {"reference": "Patient/p1"}  # what the client sent is kept
        asked += screen
        doc["item"] = fill(triage, questionnaire["item"], case.answers)
        doc = post(triage, doc)
    assert doc["status"] == "completed"
    questionnaire, guidance, outputs = doc["contained"]
    assert links_of(questionnaire["item"]) == asked
    assert questionnaire["item"][-1]["linkId"] == OUTCOME_LINK
    assert questionnaire["item"][-1]["text"].startswith(outcome.label)
    (pointer,) = [e for e in doc["extension"] if e["url"] == canonical.extension_url("guidance")]
    assert pointer["valueReference"]["reference"] == f"#{guidance['id']}"
    assert guidance["outputParameters"]["reference"] == f"#{outputs['id']}"
    given = {p["name"]: p for p in outputs["parameter"]}
    assert given["disposition"]["valueCoding"]["code"] == disposition
    assert given["label"]["valueString"] == outcome.label
    # the same result as the case file gives, and the response reads back as the same case
    back = validate_case(doc, triage.rulebase, source="x", default_id="y")
    assert isinstance(back, Case) and triage.result(back)["disposition"] == disposition
    assert triage.result(case)["disposition"] == disposition


def links_of(items):
    out = []
    for item in items:
        if item["type"] == "group":
            out += [c["linkId"] for c in item["item"] if c["type"] != "display"]
        elif item["type"] != "display":
            out.append(item["linkId"])
    return out


def required_of(items):
    out = set()
    for item in items:
        if item.get("required"):
            out.add(item["linkId"])
        out |= required_of(item.get("item", []))
    return out


def test_the_first_call_asks_the_emergency_checklist(triage):
    doc = post(triage, start())
    (questionnaire,) = doc["contained"]
    assert [i["linkId"] for i in questionnaire["item"]] == ["emergency_signs"]
    assert links_of(questionnaire["item"]) == list(
        triage.rulebase.groups["emergency_signs"].members
    )
    assert "item" not in doc


def test_the_operation_s_parameters_form_is_read_too(triage):
    parameters = {
        "resourceType": "Parameters",
        "parameter": [{"name": "questionnaire-response", "resource": start()}],
    }
    doc = post(triage, parameters)
    assert doc["resourceType"] == "QuestionnaireResponse" and doc["status"] == "in-progress"


def test_an_emergency_sign_ends_it_on_the_first_screen(triage):
    doc = post(triage, start())
    doc["item"] = fill(triage, doc["contained"][0]["item"], {"chest_symptoms": "yes"})
    doc = post(triage, doc)
    assert doc["status"] == "completed"
    assert doc["contained"][1]["resourceType"] == "GuidanceResponse"


def refusal(reply):
    body = json.loads(reply.body)
    assert body["resourceType"] == "OperationOutcome"
    OperationOutcome.model_validate(body)
    (issue,) = body["issue"]
    assert issue["severity"] == "error" and "\n" not in issue["diagnostics"]
    return issue


def test_bad_input_is_a_4xx_with_the_one_line_batch_gives(triage):
    rb = triage.rulebase
    bad = [
        {"resourceType": "Patient"},
        {"resourceType": "Bundle", "type": "collection"},
        {**start(), "item": [{"linkId": "agee", "answer": [{"valueInteger": 40}]}]},
        {**start(), "item": [{"linkId": "age", "answer": [{"valueString": "40"}]}]},
        {**start(), "item": [{"linkId": "age", "answer": [{"valueInteger": 200}]}]},
        {**start(), "status": "finished"},
    ]
    for doc in bad:
        reply = next_question(json.dumps(doc).encode(), triage)
        assert reply.status == 422
        error = validate_case(doc, rb, source="x", default_id="y")
        assert isinstance(error, CaseError)
        issue = refusal(reply)
        assert issue["diagnostics"] == f"{error.field}: {error.message}"
        assert issue["expression"] == [error.expression]
    where = [json.loads(next_question(json.dumps(d).encode(), triage).body) for d in bad]
    assert [o["issue"][0]["expression"] for o in where] == [
        ["QuestionnaireResponse.resourceType"],
        ["QuestionnaireResponse.resourceType"],
        ["QuestionnaireResponse.item[0].linkId"],
        ["QuestionnaireResponse.item[0].answer[0]"],
        ["QuestionnaireResponse.item[0].answer[0]"],
        ["QuestionnaireResponse.status"],
    ]


@pytest.mark.parametrize(
    ("body", "status", "line"),
    [
        (
            b"{",
            400,
            "invalid JSON: Expecting property name enclosed in double quotes at line 1 column 2",
        ),
        (b'{"status": "x", "status": "y"}', 400, "status: duplicate key 'status'"),
        (b"\xff", 400, "request body is not UTF-8 text"),
        (b"[1]", 422, "expected a QuestionnaireResponse (a JSON object)"),
        (
            b'{"resourceType": "Parameters", "parameter": []}',
            422,
            "parameter: a Parameters request holds one resource named 'questionnaire-response'",
        ),
    ],
)
def test_a_body_that_is_not_a_response_is_refused(triage, body, status, line):
    reply = next_question(body, triage)
    assert reply.status == status and refusal(reply)["diagnostics"] == line


def test_a_10_mb_bundle_is_refused_unread(triage):
    entry = json.dumps({**start(), "item": [{"linkId": "age", "answer": [{"valueInteger": 40}]}]})
    body = (
        '{"resourceType": "Bundle", "type": "collection", "entry": ['
        + ",".join(['{"resource": ' + entry + "}"] * (10 * 2**20 // len(entry) + 1))
        + "]}"
    ).encode()
    assert len(body) > 10 * 2**20
    reply = next_question(body, triage)
    assert reply.status == 413
    assert refusal(reply)["diagnostics"] == "request body too large (over 1 MiB)"


def test_a_parameters_request_without_its_one_resource_names_where(triage):
    """The element at fault is the OperationOutcome's expression (it was once sent as a
    header by mistake, which mypy found)."""
    reply = next_question(b'{"resourceType": "Parameters", "parameter": []}', triage)
    assert reply.status == 422
    assert refusal(reply)["expression"] == ["Parameters.parameter"]
