"""A fuzzer of FHIR shapes: a valid QuestionnaireResponse with nulls, wrong types, lists for
objects and objects for lists put in at every depth. Every such body is a 4xx with one line
over HTTP (never a 5xx), and one error record (never a traceback) in ``batch`` and ``explain``.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from conftest import CALM, RUNNER
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from web_support import client

from triage.cases import Case, CaseError
from triage.cli import main
from triage.fhir.responses import case_from_resource, response


def fuzz(max_examples: int):
    """Hypothesis settings for a fuzzer: no deadline, however busy the machine."""
    return hsettings(
        max_examples=max_examples, deadline=None, suppress_health_check=list(HealthCheck)
    )


ANSWERS = [
    CALM,
    {**CALM, "saddle_numbness": "yes", "fever": "unsure"},
    {**CALM, "sensations": ["ache", "tingling"], "duration_weeks": 2.5},
]


def valid_docs() -> list[dict[str, Any]]:
    from triage.service import Triage

    rb = Triage.load().rulebase
    return [
        json.loads(response(rb, a, case_id=f"qr{i}").model_dump_json())
        for i, a in enumerate(ANSWERS)
    ]


DOCS = valid_docs()


def paths(node: Any, at: tuple = ()) -> list[tuple]:
    """Every path into a JSON document, the root first."""
    out = [at]
    if isinstance(node, dict):
        for key, value in node.items():
            out += paths(value, (*at, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += paths(value, (*at, i))
    return out


def replacement(original: Any) -> st.SearchStrategy:
    """What a careless or hostile client puts where ``original`` was."""
    shapes = [
        st.none(),
        st.booleans(),
        st.integers(-(10**30), 10**30),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=8),
        st.just([]),
        st.just({}),
        st.just([original]),
        st.just({"value": original}),
        st.just([None]),
        st.just({"valueCoding": None}),
    ]
    if isinstance(original, list) and original:
        shapes.append(st.just(original[0]))  # a list's object where the list was
    return st.one_of(shapes)


@st.composite
def mutated(draw: st.DrawFn, doc: dict[str, Any] | None = None) -> dict[str, Any]:
    """A valid response with one to three of its elements replaced, or keys added as null."""
    doc = copy.deepcopy(doc if doc is not None else draw(st.sampled_from(DOCS)))
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(paths(doc)))
        if not where:
            continue  # the root's type is tried by the plain cases below
        parent = doc
        for step in where[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()):
            key = draw(st.sampled_from(["valueCoding", "valueInteger", "item", "answer", "code"]))
            parent[key] = draw(replacement(parent.get(key)))
        else:
            parent[where[-1]] = draw(replacement(parent[where[-1]]))
    return doc


def test_the_plain_case_of_the_issue_names_the_field(triage):
    doc = copy.deepcopy(DOCS[0])
    doc["item"][1]["answer"][0]["valueCoding"] = None
    case = case_from_resource(doc, triage.rulebase, source="qr.json", default_id="qr")
    assert isinstance(case, CaseError)
    assert case.field == "item[1].answer[0].valueCoding" and "null" in case.message


@pytest.mark.parametrize("root", [None, 1, "x", True, [], 1.5])
def test_a_root_that_is_no_object_is_an_error(triage, root):
    case = case_from_resource(root, triage.rulebase, source="qr.json", default_id="qr")
    assert isinstance(case, CaseError)


@fuzz(500)
@given(doc=mutated())
def test_the_reader_never_raises(triage, doc):
    case = case_from_resource(doc, triage.rulebase, source="qr.json", default_id="qr")
    assert isinstance(case, Case | CaseError)
    if isinstance(case, CaseError):
        assert "\n" not in case.message


def cds_request(qr: Any) -> dict[str, Any]:
    return {
        "hook": "patient-view",
        "hookInstance": "5ae9e5a4-4bd1-4a2b-bd6f-3f7a63a8e0d9",
        "context": {"userId": "Practitioner/1", "patientId": "p1"},
        "prefetch": {"questionnaireResponse": qr},
    }


@pytest.fixture(scope="module")
def api(triage):
    with client(triage) as c:
        yield c


def one_line_error(reply) -> None:
    assert 400 <= reply.status_code < 500, (reply.status_code, reply.text[:300])
    assert "Traceback" not in reply.text


@fuzz(120)
@given(doc=mutated())
def test_no_route_answers_a_5xx(api, doc):
    body = json.dumps(doc)
    for path, kind in (
        ("/v1/evaluate", "application/json"),
        ("/fhir/Questionnaire/$next-question", "application/fhir+json"),
    ):
        reply = api.post(path, content=body, headers={"content-type": kind})
        if reply.status_code != 200:
            one_line_error(reply)
    cds = json.dumps(cds_request(doc))
    reply = api.post(
        "/cds-services/back-neck-triage", content=cds, headers={"content-type": "application/json"}
    )
    if reply.status_code != 200:
        one_line_error(reply)


@fuzz(60)
@given(wrapper=mutated(cds_request(DOCS[1])))
def test_a_cds_request_broken_at_any_depth_is_no_5xx(api, wrapper):
    reply = api.post(
        "/cds-services/back-neck-triage",
        content=json.dumps(wrapper),
        headers={"content-type": "application/json"},
    )
    if reply.status_code != 200:
        one_line_error(reply)


def run(args: list[str]):
    return RUNNER.invoke(main, args)


@fuzz(25)
@given(docs=st.lists(mutated(), min_size=1, max_size=4))
def test_batch_gives_one_record_per_case_and_no_traceback(tmp_path_factory, docs):
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "cases.jsonl"
    lines = [*(json.dumps(d) for d in docs), json.dumps({"id": "last", "answers": CALM})]
    path.write_text("\n".join(lines) + "\n")
    for jobs in ("1", "2"):
        result = run(["batch", "--format", "jsonl", "--jobs", jobs, str(path)])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        assert "Traceback" not in result.output
        got = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
        assert len(got) == len(lines), result.output
        assert got[-1]["id"] == "last" and got[-1].get("disposition")


@fuzz(25)
@given(doc=mutated())
def test_explain_gives_a_line_and_no_traceback(tmp_path_factory, doc):
    path = tmp_path_factory.mktemp("fuzz") / "qr.json"
    path.write_text(json.dumps(doc))
    result = run(["explain", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output


def bundle(*docs: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": d} for d in docs],
    }


@fuzz(200)
@given(doc=mutated(bundle(DOCS[0], DOCS[2])))
def test_a_bundle_broken_at_any_depth_gives_records_not_a_traceback(triage, tmp_path_factory, doc):
    from triage.cases import iter_cases

    path = tmp_path_factory.mktemp("fuzz") / "bundle.json"
    path.write_text(json.dumps(doc))
    items = list(iter_cases([str(path)], triage.rulebase))
    assert items and all(isinstance(i, Case | CaseError) for i in items)
    entries = doc.get("entry") if isinstance(doc, dict) else None
    envelope = {k: v for k, v in doc.items() if k != "entry"} if isinstance(doc, dict) else None
    whole = envelope == {"resourceType": "Bundle", "type": "collection"}  # else one error
    if isinstance(entries, list) and entries and whole:
        assert len(items) == len(entries)  # one record per entry
