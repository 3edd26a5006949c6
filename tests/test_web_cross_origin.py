"""Cross-site requests, CORS, media types, X-Request-Id, a request's own region, a Bundle on
/v1/evaluate, and one error shape per route family: in process, as a browser would send them."""

from __future__ import annotations

import json

import pytest
from conftest import CALM
from web_support import client

from triage.cli import main
from triage.web.cors import parse_origins
from triage.web.settings import Settings

ALLOWED = "https://ehr.example.org"
EVIL = "https://evil.example"
JSON_TYPE = {"content-type": "application/json"}
EMERGENCY = {"answers": {"saddle_numbness": "yes"}}


@pytest.fixture(scope="module")
def api(triage):
    with client(triage, cors_origins=(ALLOWED,)) as c:
        yield c


def post(api, path, doc, **headers):
    return api.post(path, content=json.dumps(doc), headers={**JSON_TYPE, **headers})


def test_a_cross_site_browser_post_is_refused_and_makes_no_decision(triage, tmp_path):
    log = tmp_path / "audit.jsonl"
    with client(triage, audit_log=str(log), cors_origins=(ALLOWED,)) as api:
        browser = {"origin": EVIL, "sec-fetch-site": "cross-site"}
        for path, doc in [
            ("/v1/evaluate", EMERGENCY),
            ("/v1/interview", EMERGENCY),
            ("/cds-services/back-neck-triage", {}),
            ("/fhir/Questionnaire/$next-question", {}),
        ]:
            response = post(api, path, doc, **browser)
            assert response.status_code == 403, path
            assert "access-control-allow-origin" not in response.headers
        page = api.post(
            "/result",
            content=b"q.saddle_numbness=yes",
            headers={"content-type": "application/x-www-form-urlencoded", **browser},
        )
        assert page.status_code == 403 and "text/html" in page.headers["content-type"]
        # A simple (no preflight) text/plain POST: refused before its body is read.
        plain = api.post("/v1/evaluate", content=b"{}", headers={"origin": EVIL})
        assert plain.status_code == 403
    assert log.read_text() == ""  # no decision made


def test_the_error_of_a_cross_site_post_names_the_origin(api):
    response = post(api, "/v1/evaluate", EMERGENCY, origin=EVIL)
    assert response.json() == {
        "error": {
            "message": f"cross-site request refused: origin '{EVIL}' is not allowed "
            "(see --cors-origin)",
            "field": "Origin",
        }
    }


def test_the_allowed_origin_works_after_a_preflight(api):
    preflight = api.options(
        "/v1/evaluate",
        headers={
            "origin": ALLOWED,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, x-request-id",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed_headers = preflight.headers["access-control-allow-headers"].lower()
    assert "content-type" in allowed_headers and "x-request-id" in allowed_headers
    assert "access-control-allow-credentials" not in preflight.headers
    response = post(
        api, "/v1/evaluate", EMERGENCY, origin=ALLOWED, **{"sec-fetch-site": "cross-site"}
    )
    assert response.status_code == 200 and response.json()["disposition"] == "emergency"
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert response.headers["vary"] == "Origin"
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()


def test_a_preflight_from_another_origin_is_refused(api):
    preflight = api.options(
        "/v1/evaluate", headers={"origin": EVIL, "access-control-request-method": "POST"}
    )
    assert preflight.status_code == 403
    assert "access-control-allow-origin" not in preflight.headers


def test_no_cors_by_default(triage):
    with client(triage) as api:
        preflight = api.options(
            "/v1/evaluate", headers={"origin": ALLOWED, "access-control-request-method": "POST"}
        )
        assert preflight.status_code == 403
        assert post(api, "/v1/evaluate", EMERGENCY, origin=ALLOWED).status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        {},  # not a browser
        {"origin": "http://testserver"},  # the server's own pages
        {"origin": "http://proxy.example", "sec-fetch-site": "same-origin"},
        {"sec-fetch-site": "none"},  # typed by the user
    ],
)
def test_same_origin_and_non_browser_clients_are_let_through(api, headers):
    assert post(api, "/v1/evaluate", {"answers": CALM}, **headers).status_code == 200


@pytest.mark.parametrize(
    "path, content_type, shape",
    [
        ("/v1/evaluate", None, "error"),
        ("/v1/evaluate", "text/plain", "error"),
        ("/v1/interview", "application/x-ndjson", "error"),
        ("/fhir/Questionnaire/$next-question", None, "OperationOutcome"),
        ("/fhir/Questionnaire/$next-question", "text/plain", "OperationOutcome"),
        ("/cds-services/back-neck-triage", None, "error"),
        ("/cds-services/back-neck-triage", "application/x-www-form-urlencoded", "error"),
    ],
)
def test_a_body_without_the_documented_media_type_is_415(api, path, content_type, shape):
    headers = {"content-type": content_type} if content_type else {}
    response = api.post(path, content=b"{}", headers=headers)
    assert response.status_code == 415, response.text
    doc = response.json()
    if shape == "error":
        assert doc["error"]["field"] == "Content-Type"
        assert doc["error"]["message"].startswith("unsupported media type")
    else:
        assert doc["resourceType"] == "OperationOutcome"
        assert doc["issue"][0]["diagnostics"].startswith("Content-Type: unsupported media type")


def test_a_request_id_is_echoed_when_safe_and_made_otherwise(api):
    given = post(api, "/v1/evaluate", {"answers": CALM}, **{"x-request-id": "ehr-42.a:b_c"})
    assert given.headers["x-request-id"] == "ehr-42.a:b_c"
    made = post(api, "/v1/evaluate", {"answers": CALM})
    other = post(api, "/v1/evaluate", {"answers": CALM})
    assert (
        len(made.headers["x-request-id"]) == 32
        and made.headers["x-request-id"] != (other.headers["x-request-id"])
    )
    for bad in ("x" * 129, "a b", "<script>", "é"):
        response = api.get("/healthz", headers={"x-request-id": bad.encode("utf-8")})
        assert response.headers["x-request-id"] != bad
        assert len(response.headers["x-request-id"]) == 32


def test_a_request_can_ask_for_its_own_region(api):
    uk = post(api, "/v1/evaluate?region=uk", EMERGENCY).json()
    us = post(api, "/v1/evaluate?region=us", EMERGENCY).json()
    assert "999" in uk["plan"]["emergency"]["now"]["text"]
    assert "911" in us["plan"]["emergency"]["now"]["text"]
    done = post(api, "/v1/interview?region=us", EMERGENCY).json()
    assert done["done"] and "911" in done["result"]["plan"]["emergency"]["now"]["text"]
    lines = api.post(
        "/v1/evaluate?region=us",
        content=json.dumps(EMERGENCY) + "\n",
        headers={"content-type": "application/x-ndjson"},
    )
    assert "911" in json.loads(lines.content)["plan"]["emergency"]["now"]["text"]
    bad = post(api, "/v1/evaluate?region=mars", EMERGENCY)
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "region"
    assert bad.json()["error"]["message"].startswith("unknown region 'mars'; one of: ")


def test_an_incomplete_record_says_what_to_ask_next(api, triage):
    record = post(api, "/v1/evaluate", {"answers": {"age": 40}}).json()
    assert record["complete"] is False
    ev = triage.evaluate({"age": 40})
    assert record["next_questions"] == [q.id for q in ev.next_questions]
    assert record["next_questions"][0] == "saddle_numbness"  # the emergency checklist first


def test_a_bundle_gives_one_record_per_entry(api, triage):
    from triage.fhir.responses import response as qr

    def entry(answers):
        return {"resource": json.loads(qr(triage.rulebase, answers).model_dump_json())}

    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [entry({"saddle_numbness": "yes"}), {"resource": 1}, entry(CALM)],
    }
    response = api.post(
        "/v1/evaluate",
        content=json.dumps(bundle),
        headers={"content-type": "application/fhir+json"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    records = [json.loads(line) for line in response.content.splitlines()]
    assert [r["id"] for r in records] == ["request[1]", "request[2]", "request[3]"]
    assert records[0]["disposition"] == "emergency"
    assert records[1]["error"]["field"] == "entry[1].resource"
    assert records[2]["disposition"]


def test_every_family_has_one_error_shape(api):
    v2 = api.post("/v2/evaluate", content=b"{}", headers=JSON_TYPE)
    assert v2.status_code == 404 and v2.json() == {"error": {"message": "not found", "field": None}}
    fhir = api.get("/fhir/Nothing/1")
    assert fhir.status_code == 404 and fhir.json()["resourceType"] == "OperationOutcome"
    big = api.post(
        "/fhir/Questionnaire/$next-question",
        content=b" " * (2**20 + 1),
        headers={"content-type": "application/fhir+json"},
    )
    assert big.status_code == 413 and big.json()["resourceType"] == "OperationOutcome"
    assert big.json()["issue"][0]["diagnostics"] == "request body too large (over 1 MiB)"
    api_big = api.post("/v1/evaluate", content=b" " * (2**20 + 1), headers=JSON_TYPE)
    assert api_big.json()["error"]["message"] == "request body too large (over 1 MiB)"
    page = api.get("/nowhere")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]


def test_the_allow_list_setting_is_checked_and_reaches_the_workers(monkeypatch, runner):
    assert parse_origins(" https://A.example:8443/ , http://b.example") == (
        "https://a.example:8443",
        "http://b.example",
    )
    for bad in ("ehr.example.org", "https://x.example/path", "ftp://x.example", "*"):
        with pytest.raises(ValueError):
            parse_origins(bad)
    settings = Settings(cors_origins=("https://a.example", "http://b.example"))
    for key, value in settings.to_env().items():
        monkeypatch.setenv(key, value)
    assert Settings.from_env() == settings
    result = runner.invoke(main, ["serve", "--cors-origin", "ehr.example.org"])
    assert result.exit_code == 2
    assert "not an origin (scheme://host[:port]): 'ehr.example.org'" in result.output
