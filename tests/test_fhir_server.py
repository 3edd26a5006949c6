"""The FHIR server's own rules: the CapabilityStatement, search, reading what the canonicals
name, content negotiation, OperationOutcomes for every error; and identity: the canonical base
setting, unique identifiers, SDC's required elements, narratives and standard codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from web_support import client

from triage.cli import main
from triage.fhir import canonical
from triage.fhir.questionnaire import questionnaire
from triage.fhir.terminology import DATA, sources

FHIR = {"content-type": "application/fhir+json"}
START = {"resourceType": "QuestionnaireResponse", "status": "in-progress"}
Q_URL = "https://triage.example.org/fhir/Questionnaire/back-neck-triage"


def issue_of(response) -> dict:
    assert response.headers["content-type"].startswith("application/fhir+json")
    doc = response.json()
    assert doc["resourceType"] == "OperationOutcome", doc
    (issue,) = doc["issue"]
    return issue


def test_metadata_is_a_capability_statement_of_fhir_4_0_1(triage):
    with client(triage) as api:
        reply = api.get("/fhir/metadata")
    assert reply.status_code == 200
    doc = reply.json()
    assert doc["resourceType"] == "CapabilityStatement" and doc["fhirVersion"] == "4.0.1"
    assert doc["kind"] == "instance" and doc["format"] == ["json", "application/fhir+json"]
    (rest,) = doc["rest"]
    kinds = {r["type"]: r for r in rest["resource"]}
    assert set(kinds) >= {"Questionnaire", "CodeSystem", "OperationDefinition", "Library"}
    (op,) = kinds["Questionnaire"]["operation"]
    assert op["name"] == "next-question"
    assert op["definition"] == canonical.operation_definition_url()
    assert [p["name"] for p in kinds["Questionnaire"]["searchParam"]] == ["url"]
    assert any("sdc" in g for g in doc["implementationGuide"])
    assert "/cds-services" in rest["documentation"]
    assert doc["text"]["status"] == "generated"


def test_what_the_canonicals_name_is_served(triage):
    with client(triage) as api:
        capability = api.get("/fhir/metadata").json()
        op_url = capability["rest"][0]["resource"][0]["operation"][0]["definition"]
        op = api.get("/fhir/OperationDefinition/" + op_url.rsplit("/", 1)[1]).json()
        assert op["url"] == op_url and op["code"] == "next-question"
        q = api.get("/fhir/Questionnaire/back-neck-triage").json()
        for kind in canonical.CODE_SYSTEMS:
            url = canonical.code_system_url(triage.rulebase, kind)
            cs = api.get("/fhir/CodeSystem/" + url.rsplit("/", 1)[1]).json()
            assert cs["url"] == url
        record = triage.result(__import__("triage.cases", fromlist=["Case"]).Case("x", "-", {}))
        module = canonical.library_canonical(record["rulebase"]).split("|")[0]
        library = api.get("/fhir/Library/" + module.rsplit("/", 1)[1]).json()
        assert library["url"] == module and library["version"] == triage.rulebase.version
        assert q["url"] == Q_URL


@pytest.mark.parametrize(
    ("query", "found"),
    [
        (f"url={Q_URL}", 1),
        (f"url={Q_URL}|2026.12.1", 1),
        (f"url={Q_URL}|1999.1.1", 0),
        ("url=https://example.org/Questionnaire/phq-9", 0),
        ("_id=back-neck-triage", 1),
    ],
)
def test_questionnaire_search_by_url(triage, query, found):
    query = query.replace("2026.12.1", triage.rulebase.version)
    with client(triage) as api:
        reply = api.get("/fhir/Questionnaire", params=dict([query.split("=", 1)]))
    assert reply.status_code == 200
    bundle = reply.json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
    assert bundle["total"] == found and len(bundle.get("entry", [])) == found
    for entry in bundle.get("entry", []):
        assert entry["resource"]["url"] == Q_URL and entry["search"]["mode"] == "match"


def test_code_systems_are_searched_by_url_too(triage):
    url = canonical.code_system_url(triage.rulebase, "dispositions")
    with client(triage) as api:
        bundle = api.get("/fhir/CodeSystem", params={"url": url}).json()
    assert [e["resource"]["url"] for e in bundle["entry"]] == [url]


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/fhir/metadata", {"accept": "application/fhir+xml"}, 406),
        ("GET", "/fhir/metadata", {"accept": "application/xml, text/xml"}, 406),
        ("GET", "/fhir/metadata?_format=xml", {}, 406),
        ("GET", "/fhir/metadata", {"accept": "application/fhir+json; fhirVersion=3.0"}, 406),
        ("GET", "/fhir/Questionnaire/back-neck-triage", {"accept": "application/fhir+xml"}, 406),
        (
            "POST",
            "/fhir/Questionnaire/$next-question",
            {"content-type": "application/fhir+xml"},
            415,
        ),
        (
            "POST",
            "/fhir/Questionnaire/$next-question",
            {"content-type": "application/fhir+json; fhirVersion=5.0"},
            415,
        ),
        ("GET", "/fhir/Patient/1", {}, 404),
        ("GET", "/fhir/", {}, 404),
        ("DELETE", "/fhir/Questionnaire/back-neck-triage", {}, 405),
        ("PUT", "/fhir/Questionnaire/$next-question", {}, 405),
    ],
)
def test_every_fhir_error_is_an_operation_outcome(triage, method, path, headers, status):
    with client(triage) as api:
        reply = api.request(method, path, headers=headers, content=json.dumps(START))
    assert reply.status_code == status, reply.text
    issue = issue_of(reply)
    assert issue["severity"] == "error" and issue["diagnostics"]
    if status == 405:
        assert reply.headers["allow"]


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT"])
def test_an_operation_is_not_read_as_a_resource_id(triage, method):
    """``Questionnaire/$next-question`` is the operation, though ``Questionnaire/{id}`` matches
    it too: every other method is 405, and ``Allow`` names POST alone (as the OpenAPI
    document does)."""
    with client(triage) as api:
        reply = api.request(method, "/fhir/Questionnaire/$next-question")
        other = api.request(method, "/fhir/Questionnaire/back-neck-triage")
    assert reply.status_code == 405 and reply.headers["allow"] == "POST"
    assert other.headers.get("allow", "GET") == "GET"  # a real id is still read with GET


def test_an_id_of_a_newline_is_not_found_not_a_method_refused(triage):
    """The path as the routes match it decides ``Allow``, not the URL (which drops a final
    newline): no 405 that allows nothing."""
    with client(triage) as api:
        read = api.get("/fhir/Library/%0A")
        unknown = api.get("/fhir/Nope/%0A")
    assert read.status_code == unknown.status_code == 404
    assert "\n" not in issue_of(unknown)["diagnostics"]  # one line


@pytest.mark.parametrize(
    "accept",
    [
        "application/fhir+json",
        "application/fhir+json; fhirVersion=4.0",
        "application/json",
        "*/*",
        "application/fhir+xml;q=0.9, application/fhir+json",
    ],
)
def test_json_of_fhir_4_0_is_served(triage, accept):
    with client(triage) as api:
        assert api.get("/fhir/metadata", headers={"accept": accept}).status_code == 200
        posted = api.post(
            "/fhir/Questionnaire/$next-question",
            content=json.dumps(START),
            headers={"content-type": "application/fhir+json; fhirVersion=4.0", "accept": accept},
        )
        assert posted.status_code == 200


def test_a_too_large_body_is_an_operation_outcome(triage):
    with client(triage) as api:
        reply = api.post(
            "/fhir/Questionnaire/$next-question", content=b" " * (2 * 2**20), headers=FHIR
        )
    assert reply.status_code == 413
    assert issue_of(reply)["code"] == "too-long"


def test_an_error_names_its_place_as_fhirpath(triage):
    bad = {**START, "item": [{"linkId": "age", "answer": [{"valueInteger": 200}]}]}
    with client(triage) as api:
        reply = api.post("/fhir/Questionnaire/$next-question", json=bad, headers=FHIR)
    assert reply.status_code == 422
    issue = issue_of(reply)
    assert issue["expression"] == ["QuestionnaireResponse.item[0].answer[0]"]
    assert "location" not in issue


def test_adaptive_replies_meet_the_sdc_adaptive_response_profile(triage):
    with client(triage) as api:
        first = api.post("/fhir/Questionnaire/$next-question", json=START, headers=FHIR).json()
        again = api.post("/fhir/Questionnaire/$next-question", json=START, headers=FHIR).json()
        kept = {**START, "subject": {"reference": "Patient/123"}, "identifier": {"value": "x1"}}
        own = api.post("/fhir/Questionnaire/$next-question", json=kept, headers=FHIR).json()
    assert first["meta"]["profile"] == [canonical.ADAPTIVE_RESPONSE_PROFILE]
    assert first["authored"].endswith("Z") and first["subject"]["type"] == "Patient"
    assert first["identifier"]["value"] != again["identifier"]["value"]
    assert own["subject"] == {"reference": "Patient/123"} and own["identifier"]["value"] == "x1"
    questionnaire_doc = first["contained"][0]
    assert questionnaire_doc["date"]


def test_saved_and_downloaded_responses_are_authored_and_unique(triage, tmp_path, runner):
    saved = tmp_path / "visit.fhir.json"
    runner.invoke(main, ["ask", "--save", str(saved)], input="none\nquit\n")
    doc = json.loads(saved.read_text())
    assert doc["authored"] and doc["identifier"]["value"].startswith("urn:uuid:")
    assert doc["meta"]["profile"] == [canonical.SDC_QUESTIONNAIRE_RESPONSE]
    assert doc["text"]["status"] == "generated"
    answers = json.dumps({"fever": "yes", "location": "neck", "severity": 4})
    with client(triage) as api:
        one = api.post("/answers.fhir.json", data={"answers": answers})
        two = api.post("/answers.fhir.json", data={"answers": answers})
    a, b = one.json(), two.json()
    assert a["authored"] and a["id"] != b["id"] and not a["id"].startswith("web-20")
    assert a["identifier"]["value"] != b["identifier"]["value"]
    assert one.headers["content-disposition"] != two.headers["content-disposition"]
    assert "&lt;" not in a["text"]["div"] and "A fever of 38" in a["text"]["div"]


def test_the_questionnaire_has_a_date_and_a_narrative(triage):
    doc = json.loads(questionnaire(triage.rulebase).model_dump_json())
    year, month = triage.rulebase.version.split(".")[:2]
    assert doc["date"] == f"{year}-{int(month):02d}"
    assert doc["text"]["div"].startswith('<div xmlns="http://www.w3.org/1999/xhtml">')


def test_narratives_escape_what_they_quote():
    from triage.fhir.narrative import narrative

    div = narrative("<b>x</b> & y", ["a < b"], [("k", "<script>")]).div
    assert "<script>" not in div and "&lt;script&gt;" in div and "&amp; y" in div


def test_the_canonical_base_is_a_setting(triage, monkeypatch, tmp_path, runner):
    # The option sets the variable for the process (and a server's workers): set here first
    # so that monkeypatch puts it back as it was after the test.
    monkeypatch.setenv(canonical.BASE_ENV, canonical.DEFAULT_BASE)
    base = "https://fhir.clinic.test/r4"
    run = runner.invoke(main, ["export", "questionnaire", "--fhir-base", base + "/"])
    assert run.exit_code == 0, run.output
    doc = json.loads(run.stdout)
    assert doc["url"] == f"{base}/Questionnaire/back-neck-triage"
    codes = {o["valueCoding"]["system"] for i in doc["item"] for o in i.get("answerOption", [])}
    codes |= {
        o["valueCoding"]["system"]
        for g in doc["item"]
        for i in g.get("item", [])
        for o in i.get("answerOption", [])
    }
    assert codes == {f"{base}/CodeSystem/back-neck-triage-answers"}
    monkeypatch.delenv(canonical.BASE_ENV, raising=False)
    bad = runner.invoke(main, ["export", "questionnaire", "--fhir-base", "not a url"])
    assert bad.exit_code == 2 and "--fhir-base" in bad.output
    monkeypatch.setenv(canonical.BASE_ENV, base)
    with client(triage) as api:
        assert api.get("/fhir/metadata").json()["implementation"]["url"] == base
        found = api.get(
            "/fhir/Questionnaire", params={"url": f"{base}/Questionnaire/back-neck-triage"}
        )
        assert found.json()["total"] == 1
    monkeypatch.setenv(canonical.BASE_ENV, "ftp://nope")  # refused by the command line
    env = runner.invoke(main, ["export", "codesystem"])
    assert env.exit_code == 2


def test_standard_codes_are_recorded_with_their_source(triage):
    entries = sources()
    assert entries, "no standard code at all"
    systems = {canonical.LOINC, canonical.SNOMED}
    for e in entries:
        assert e["question"] in triage.rulebase.questions
        assert e["system"] in systems and e["code"] and e["display"] and len(e["source"]) > 20
    doc = json.loads(questionnaire(triage.rulebase).model_dump_json())
    items = {}

    def walk(nodes):
        for n in nodes:
            items[n["linkId"]] = n
            walk(n.get("item", []))

    walk(doc["item"])
    age = items["age"]["code"]
    assert age == [{"system": canonical.LOINC, "code": "30525-0", "display": "Age"}]
    assert "code" not in items["chest_symptoms"]  # a combined question stays local
    assert yaml.safe_load(Path(DATA).read_text())["questions"]
