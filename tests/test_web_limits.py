"""Hostile input on every entry: 64 KB fields, repeated form fields, redirects from Host.

In process (no socket): the transport's own limits are in test_serve_transport.py.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from web_support import client

from triage.typed import InputError, number
from triage.web import bodies, screens

BIG = "a" * 64_000 + " !"  # the campaign's q.age: 85 s with the quadratic number parser
CAP = 2.0  # seconds: generous on a busy machine, against the 85 s of the bug
FORM = {"content-type": "application/x-www-form-urlencoded"}
FHIR = {"content-type": "application/fhir+json"}
ANSWERS = "https://triage.example.org/fhir/CodeSystem/back-neck-triage-answers"
NUMBERS = {"age": 40, "severity": 3, "duration_weeks": 2}
FORM_ROUTES = ("/interview", "/result", "/summary", "/review", "/answers", "/answers.fhir.json")


@pytest.fixture(scope="module")
def web(triage):
    with client(triage) as c:
        yield c


def timed(call, *args, **kwargs):
    start = time.perf_counter()
    reply = call(*args, **kwargs)
    return reply, time.perf_counter() - start


def answers_up_to(web, question: str) -> dict:
    """The answers of an interview that reaches ``question`` (no to each red flag)."""
    answers: dict = {}
    for _ in range(50):
        screen = web.post("/v1/interview", json={"answers": answers}).json()["screen"]
        if any(q["id"] == question for q in screen["questions"]):
            return answers
        for q in screen["questions"]:
            if q["type"] == "yesno":
                answers[q["id"]] = "no"
            else:
                answers[q["id"]] = q["values"][0]["value"] if "values" in q else NUMBERS[q["id"]]
    raise AssertionError(f"never asked {question}")


def test_the_number_parser_is_linear_on_a_long_word(triage):
    age = triage.rulebase.questions["age"]
    start = time.perf_counter()
    with pytest.raises(InputError):
        number(age, "a" * 64_000 + " ")
    assert time.perf_counter() - start < CAP


def test_a_64_kb_typed_answer_is_refused_before_any_parser_sees_it(web, monkeypatch):
    answers = answers_up_to(web, "age")
    handed: list[int] = []
    real = screens.parse_typed
    monkeypatch.setattr(
        screens, "parse_typed", lambda q, text: handed.append(len(text)) or real(q, text)
    )
    form = {"answers": json.dumps(answers), "q.age": BIG}
    reply, took = timed(web.post, "/interview", data=form)
    assert reply.status_code == 422, reply.text
    assert "q.age" in reply.text and "longer than" in reply.text
    assert handed == [] and took < CAP
    ok = web.post("/interview", data={"answers": json.dumps(answers), "q.age": "40"})
    assert ok.status_code == 200 and handed == [2]


@pytest.mark.parametrize("route", FORM_ROUTES)
@pytest.mark.parametrize("field", ["answers", "screens", "action", "q.age", "anything"])
def test_every_form_field_on_every_page_is_bounded(web, route, field):
    form = {"answers": "{}", field: "x" * (bodies.MAX_STATE_CHARS + 1)}
    reply, took = timed(web.post, route, data=form)
    assert reply.status_code == 422, reply.text
    assert f"{field}" in reply.text and "longer than" in reply.text
    assert took < CAP


@pytest.mark.parametrize("route", ["/v1/evaluate", "/v1/interview"])
def test_a_64_kb_json_answer_is_a_422_naming_it(web, route):
    for key, value in (("age", BIG), ("location", BIG), ("sensations", [BIG])):
        reply, took = timed(web.post, route, json={"answers": {key: value}})
        assert reply.status_code == 422, reply.text
        assert reply.json()["error"]["field"] == f"answers.{key}"
        assert len(reply.text) < 1000 and took < CAP


def test_64_kb_fhir_and_cds_values_are_a_4xx_naming_the_answer(web):
    items = [
        {"linkId": "age", "answer": [{"valueString": BIG}]},
        {"linkId": "age", "answer": [{"valueInteger": BIG}]},
        {"linkId": "fever", "answer": [{"valueCoding": {"system": ANSWERS, "code": BIG}}]},
        {"linkId": "duration_weeks", "answer": [{"valueDecimal": "1" * 64_000}]},
        {"linkId": BIG, "answer": [{"valueCoding": {"system": ANSWERS, "code": "yes"}}]},
    ]
    for item in items:
        qr = {"resourceType": "QuestionnaireResponse", "status": "in-progress", "item": [item]}
        reply, took = timed(
            web.post, "/fhir/Questionnaire/$next-question", content=json.dumps(qr), headers=FHIR
        )
        assert reply.status_code == 422 and took < CAP, reply.text[:300]
        cds = {
            "hook": "patient-view",
            "hookInstance": "5ae9e5a4-4bd1-4a2b-bd6f-3f7a63a8e0d9",
            "context": {"userId": "Practitioner/1", "patientId": "p1"},
            "prefetch": {"questionnaireResponse": qr},
        }
        reply, took = timed(web.post, "/cds-services/back-neck-triage", json=cds)
        assert 400 <= reply.status_code < 500 and took < CAP, reply.text[:300]


@pytest.mark.parametrize(
    "form, field",
    [
        (
            [("answers", "{}"), ("q.saddle_numbness", "yes"), ("q.saddle_numbness", "no")],
            "q.saddle_numbness",
        ),
        ([("answers", '{"saddle_numbness": "yes"}'), ("answers", "{}")], "answers"),
        ([("answers", "{}"), ("action", "next"), ("action", "back")], "action"),
    ],
)
def test_a_repeated_form_field_is_refused(web, form, field):
    for route in FORM_ROUTES:
        reply = web.post(route, content=urlencode(form), headers=FORM)
        assert reply.status_code == 422, (route, reply.text)
        assert f"{field}&#39; is given more than once" in reply.text


def test_the_boxes_of_a_multi_question_may_repeat(web):
    answers = answers_up_to(web, "sensations")
    form = [
        ("answers", json.dumps(answers)),
        ("q.sensations", "tingling"),
        ("q.sensations", "numbness"),
    ]
    reply = web.post("/interview", content=urlencode(form), headers=FORM)
    assert reply.status_code == 200, reply.text
    assert "&#34;sensations&#34;:[&#34;tingling&#34;,&#34;numbness&#34;]" in reply.text


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/static"),
        ("GET", "/static/"),
        ("POST", "/v1/evaluate/"),
        ("GET", "/v1/questions/"),
        ("POST", "/interview/"),
        ("GET", "/cds-services/"),
        ("GET", "/fhir/Questionnaire/back-neck-triage/"),
    ],
)
def test_no_redirect_is_built_from_the_host_header(web, method, path):
    reply = web.request(
        method, path, headers={"host": "evil.example"}, follow_redirects=False, json={}
    )
    assert reply.status_code == 404, reply.headers
    assert "location" not in reply.headers
