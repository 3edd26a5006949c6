"""CDS Hooks through the server: the specification's own request (fhirServer and its token, no
prefetch) answered by searching a FHIR server stand-in on loopback; the hook and the patient
checked; the feedback endpoint; and every fetch failure a clear 412, never a 5xx."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from test_fhir_cds import SPEC_REQUEST, every_answer, qr_of
from web_support import client

from triage.cases import Case
from triage.fhir import cds
from triage.fhir.cds import CardsResponse
from triage.service import Triage

pytestmark = pytest.mark.slow  # a live server on loopback

TOKEN = "opaque"
SERVICE = "/cds-services/back-neck-triage"
JSON_HEADERS = {"content-type": "application/json"}


class StandIn:
    """A FHIR server stand-in: searches for QuestionnaireResponses, and ways to misbehave."""

    def __init__(self, triage: Triage):
        self.triage = triage
        self.seen: list[dict] = []
        self.release = threading.Event()  # the slow route waits for it (set at the end)
        self.responses = {
            "1288992": qr_of(
                triage, Case("a", "x", every_answer(triage, saddle_numbness="yes")), "1288992"
            ),
            "other": qr_of(triage, Case("b", "x", every_answer(triage)), "999"),
        }

    async def search(self, request: Request) -> Response:
        self.seen.append(
            {"auth": request.headers.get("authorization"), "query": dict(request.query_params)}
        )
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"resourceType": "OperationOutcome"}, 401)
        patient = request.query_params.get("patient", "")
        found = self.responses.get(patient)
        bundle = {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": found, "search": {"mode": "match"}}] if found else [],
        }
        return JSONResponse(bundle, media_type="application/fhir+json")

    async def slow(self, request: Request) -> Response:
        deadline = time.monotonic() + 60
        while not self.release.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return JSONResponse({})

    async def big(self, request: Request) -> Response:
        return Response(b" " * (cds.MAX_FETCH_BYTES + 10), media_type="application/fhir+json")

    async def moved(self, request: Request) -> Response:
        return Response(status_code=302, headers={"location": "http://elsewhere.invalid/"})

    async def not_json(self, request: Request) -> Response:
        return Response(b"<html>", media_type="text/html")

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/fhir/QuestionnaireResponse", self.search),
                Route("/slow/QuestionnaireResponse", self.slow),
                Route("/big/QuestionnaireResponse", self.big),
                Route("/moved/QuestionnaireResponse", self.moved),
                Route("/html/QuestionnaireResponse", self.not_json),
            ]
        )


@pytest.fixture(scope="module")
def stand_in():
    triage = Triage.load()
    fake = StandIn(triage)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(fake.app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:  # a state, bounded: never a fixed sleep
        assert thread.is_alive() and time.monotonic() < deadline, "stand-in did not start"
        time.sleep(0.01)
    fake.base = f"http://127.0.0.1:{port}"
    yield fake
    fake.release.set()
    server.should_exit = True
    thread.join(timeout=60)
    sock.close()


@pytest.fixture(scope="module")
def api():
    return client(Triage.load())


def spec_request(server: str, patient: str = "1288992", **changes) -> dict:
    doc = json.loads(json.dumps(SPEC_REQUEST))
    doc["fhirServer"] = server
    doc["context"]["patientId"] = patient
    doc.update(changes)
    return doc


def post(api, doc, path=SERVICE):
    return api.post(path, content=json.dumps(doc).encode(), headers=JSON_HEADERS)


def test_the_spec_request_is_answered_by_searching_fhir_server(api, stand_in):
    response = post(api, spec_request(stand_in.base + "/fhir"))
    assert response.status_code == 200, response.text
    (card,) = CardsResponse.model_validate(response.json()).cards
    assert card.indicator == "critical"
    last = stand_in.seen[-1]
    assert last["auth"] == f"Bearer {TOKEN}"
    assert last["query"]["patient"] == "1288992"
    assert last["query"]["_sort"] == "-authored" and last["query"]["_count"] == "1"


def test_a_patient_with_no_response_gets_no_card(api, stand_in):
    response = post(api, spec_request(stand_in.base + "/fhir", patient="nobody"))
    assert response.status_code == 200 and response.json() == {"cards": []}


def test_a_response_of_another_patient_gets_no_card(api, stand_in):
    response = post(api, spec_request(stand_in.base + "/fhir", patient="other"))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "subject.reference"
    assert "not the hook's patient Patient/other" in error["message"]


def test_the_wrong_patient_in_prefetch_gets_no_card(api, stand_in):
    doc = spec_request(stand_in.base + "/fhir", patient="1288992")
    doc["prefetch"] = {"questionnaireResponse": stand_in.responses["other"]}  # Patient/999
    response = post(api, doc)
    assert response.status_code == 400 and "cards" not in response.json()
    assert response.json()["error"]["field"] == "subject.reference"


def test_a_response_entered_in_error_is_refused(api, stand_in):
    doc = spec_request(stand_in.base + "/fhir")
    qr = dict(stand_in.responses["1288992"], status="entered-in-error")
    doc["prefetch"] = {"questionnaireResponse": qr}
    response = post(api, doc)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "status"


def test_another_hook_is_a_400(api, stand_in):
    response = post(api, spec_request(stand_in.base + "/fhir", hook="order-select"))
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": "this service answers the 'patient-view' hook, not 'order-select'",
        "field": "hook",
    }
    assert stand_in.seen == [] or stand_in.seen[-1]["query"]["patient"] != "order-select"


def test_a_hook_without_a_patient_is_a_400(api, stand_in):
    doc = spec_request(stand_in.base + "/fhir")
    del doc["context"]["patientId"]
    response = post(api, doc)
    assert response.status_code == 400 and response.json()["error"]["field"] == "context.patientId"


@pytest.mark.parametrize(
    "where, token, words",
    [
        ("/fhir", "wrong", "it answered 401"),
        ("/big", TOKEN, "its answer is over 1 MiB"),
        ("/moved", TOKEN, "it answered 302"),
        ("/html", TOKEN, "its answer is not JSON"),
    ],
)
def test_a_failed_search_is_a_clear_412(api, stand_in, where, token, words):
    doc = spec_request(stand_in.base + where)
    doc["fhirAuthorization"]["access_token"] = token
    response = post(api, doc)
    assert response.status_code == 412, response.text
    error = response.json()["error"]
    assert error["field"] == "fhirServer" and words in error["message"], error


def test_a_server_that_never_answers_is_a_412_in_bounded_time(api, stand_in, monkeypatch):
    monkeypatch.setattr(cds, "FETCH_SECONDS", 0.5)
    started = time.monotonic()
    response = post(api, spec_request(stand_in.base + "/slow"))
    assert response.status_code == 412
    assert "no answer within 0.5 s" in response.json()["error"]["message"]
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    "server", ["file:///etc/passwd", "ftp://127.0.0.1/fhir", "http://user:pw@127.0.0.1/", "x"]
)
def test_only_http_urls_are_fetched(api, server):
    response = post(api, spec_request(server))
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": "fhirServer must be an http or https URL",
        "field": "fhirServer",
    }


def test_a_server_that_is_not_there_is_a_412(api):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    response = post(api, spec_request(f"http://127.0.0.1:{port}/fhir"))
    assert response.status_code == 412
    assert response.json()["error"]["message"].startswith("could not search fhirServer")


def test_feedback_is_acknowledged_and_checked(api):
    feedback = {
        "feedback": [
            {
                "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
                "outcome": "overridden",
                "overrideReason": {"reason": {"code": "x", "system": "http://e.org"}},
                "outcomeTimestamp": "2026-12-07T10:00:00Z",
            }
        ]
    }
    assert post(api, feedback, SERVICE + "/feedback").status_code == 200
    bad = {"feedback": [{"card": "x", "outcome": "liked", "outcomeTimestamp": "t"}]}
    response = post(api, bad, SERVICE + "/feedback")
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "feedback[0].outcome"
    assert post(api, feedback, "/cds-services/other/feedback").status_code == 404
