"""The OpenAPI document and the server agree: every route is in it, and a request the document
refuses the server refuses, and one it accepts the server accepts, over a sample of cases
made of the answers each kind of question is most easily got wrong with."""

from __future__ import annotations

import json

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.routing import Mount, Route
from web_support import client

from triage.service import Triage

TRIAGE = Triage.load()
API = client(TRIAGE)
DOC = API.get("/openapi.json").json()


def validator(name: str):
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": f"#/components/schemas/{name}",
        "components": DOC["components"],
    }
    return jsonschema_rs.validator_for(schema)


CASE = validator("EvaluateRequest")
WORDS = ["yes", "no", "unsure", "YES", " No ", "Unsure\t", "yes\u3000", "maybe", "y", "", "yes no"]
ODD = [None, True, False, 0, 1, 2.5, 3.0, -1, 10**6, [], {}, "1", ["x"]]


def answers_for(q) -> st.SearchStrategy:
    if q.type == "yesno":
        pool = WORDS + ODD
    elif q.type in ("integer", "number"):
        pool = [q.min, q.max, q.min - 1, q.max + 1, (q.min + q.max) / 2, float(q.min), *ODD]
    elif q.type == "choice":
        pool = [*q.values, q.values[0].upper(), *ODD]
    else:
        pool = [[q.values[0]], list(q.values), [q.values[0], q.values[0]], ["nonsense"], *ODD]
    return st.sampled_from(pool)


QUESTIONS = sorted(TRIAGE.rulebase.questions.values(), key=lambda q: q.order)
cases = st.fixed_dictionaries(
    {},
    optional={
        "answers": st.fixed_dictionaries(
            {}, optional={q.id: answers_for(q) for q in QUESTIONS[:12]}
        ),
        "id": st.sampled_from(["a", 7, True, None, 1.5]),
        "note": st.sampled_from(["n", None, 3]),
        "expect": st.sampled_from(
            [None, {}, {"disposition": "emergency"}, {"disposition": "x"}, {"fired": None}, 1]
        ),
        "extra": st.just(1),
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases)
@example({"answers": {"fever": "YES"}})
@example({"answers": {"fever": " yes\t"}})
@example({"answers": {"fever": "yes\ufeff"}})
@example({"answers": {"age": 3.0}})
@example({"answers": {"age": 3.5}})
def test_the_document_and_the_server_accept_the_same_cases(doc):
    response = API.post(
        "/v1/evaluate", content=json.dumps(doc), headers={"content-type": "application/json"}
    )
    assert response.status_code in (200, 422), response.text
    assert CASE.is_valid(doc) == (response.status_code == 200), (doc, response.text)


def test_every_route_is_in_the_document():
    documented = {(path, method.upper()) for path, ops in DOC["paths"].items() for method in ops}
    app = API.app
    while not hasattr(app, "routes"):  # through the middlewares to the Starlette app
        app = app.app
    served, hidden = set(), set()
    for route in app.routes:
        if isinstance(route, Mount):
            served.add((route.path + "/{path}", "GET"))
        elif isinstance(route, Route) and not route.include_in_schema:
            hidden.add(route.path)
        elif isinstance(route, Route):
            served |= {(route.path, m) for m in route.methods or () if m != "HEAD"}
    assert served == documented
    # Only the catch-all of unknown FHIR paths (a 404 or 405, no operation) is left out.
    assert hidden == {"/fhir/{rest:path}"}


@pytest.mark.parametrize(
    "path", ["/fhir/Questionnaire/$next-question", "/cds-services/{id}", "/v1/evaluate"]
)
def test_fhir_and_cds_routes_document_their_error_shapes(path):
    responses = DOC["paths"][path]["post"]["responses"]
    shapes = {
        c: next(iter(r["content"].values()))["schema"]["$ref"]
        for c, r in responses.items()
        if c.startswith("4")
    }
    expected = "OperationOutcome" if path.startswith("/fhir/") else "Error"
    assert set(shapes.values()) == {f"#/components/schemas/{expected}"}
    assert "415" in responses and "403" in responses
