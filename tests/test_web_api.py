"""The JSON API, in process: the same records as `triage batch`, screens, errors, headers."""

from __future__ import annotations

import errno
import json
import re

import pytest
from conftest import CALM, ROOT, RUNNER
from web_support import client

from triage.audit import AuditLog, read_log
from triage.cases import iter_raw_cases
from triage.cli import main


@pytest.fixture(scope="module")
def api(triage):
    with client(triage) as c:
        yield c


def without_next(line: bytes) -> bytes:
    """A record of the API as batch writes it: ``next_questions`` (the API's addition to an
    incomplete record, written last) taken out, after checking it is there when it must be."""
    record = json.loads(line)
    assert ("next_questions" in record) == (record.get("complete") is False), line[:80]
    return re.sub(rb',"next_questions":\[[^\]]*\]\}(\n?)$', rb"}\1", line)


def batch_lines(*args: str, input: str | None = None) -> list[bytes]:
    result = RUNNER.invoke(main, ["batch", "--format", "jsonl", "-j", "1", *args], input=input)
    assert result.exit_code in (0, 1), result.output
    return [line + b"\n" for line in result.stdout_bytes.splitlines()]


def post_json(api, path: str, doc) -> object:
    return api.post(path, content=json.dumps(doc), headers={"content-type": "application/json"})


def test_evaluate_gives_the_batch_record_byte_for_byte(api):
    """Every case of the validation corpus: the API's body is the line batch writes, but for
    the record's ``source`` (the file there, "api" here)."""
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "cases").rglob("*.yaml"))
    expected = batch_lines(*files)
    raws = [item for item in iter_raw_cases(files)]
    assert len(raws) == len(expected) > 100
    for raw, line in zip(raws, expected, strict=True):
        response = post_json(api, "/v1/evaluate", raw.raw)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        source = json.dumps(raw.source).encode()
        mine = without_next(response.content)
        assert mine.replace(b'"source":"api"', b'"source":' + source, 1) == line


def test_json_lines_give_the_records_of_batch_stdin_in_order(api):
    lines = [
        json.dumps({"id": "one", "answers": {"fever": "yes"}}),
        "",  # blank lines are skipped, as batch skips them
        "not json",
        json.dumps({"answers": CALM}),
        '{"answers": {"fever": "yes", "fever": "no"}}',
        json.dumps({"answers": {"age": 200}}),
        json.dumps({"answers": {"nonsense": 1}}),
        json.dumps({"answers": {**CALM, "saddle_numbness": "unsure"}}),
    ]
    body = "\n".join(lines) + "\n"
    expected = batch_lines("-", input=body)
    response = api.post(
        "/v1/evaluate", content=body.encode(), headers={"content-type": "application/x-ndjson"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    got = response.content.splitlines(keepends=True)
    assert len(got) == len(expected) == 7
    for mine, theirs in zip(got, expected, strict=True):
        a, b = json.loads(without_next(mine)), json.loads(theirs)
        assert (a.pop("source"), b.pop("source")) == ("api", "-")
        assert a.pop("id").replace("request", "stdin") == b.pop("id")
        assert a == b
    assert [json.loads(x).get("error", {}).get("message", "")[:21] for x in got[1:5]] == [
        "line 3: invalid JSON:",
        "",
        "line 5: duplicate key",
        "200 is out of range: ",
    ]


def test_a_lone_surrogate_in_the_id_is_the_batch_record_too(api):
    body = '{"id": "a\\ud800b", "note": "caf\\u00e9", "answers": {"fever": "yes"}}'
    (line,) = batch_lines("-", input=body + "\n")
    for kind in ("application/json", "application/x-ndjson"):
        response = api.post("/v1/evaluate", content=body, headers={"content-type": kind})
        assert response.status_code == 200
        mine = without_next(response.content)
        assert mine.replace(b'"source":"api"', b'"source":"-"', 1) == line
        assert b'"id":"a\\ud800b"' in line and b'"note":"caf\\u00e9"' in line
        assert json.loads(response.content)["id"] == "a\ud800b"


def test_a_lone_surrogate_in_an_error_is_a_4xx_that_reads_back(api):
    body = '{"answers": {"a\\ud800": "yes"}}'  # the error message and field quote the key
    for path in ("/v1/evaluate", "/v1/interview"):
        response = api.post(path, content=body, headers={"content-type": "application/json"})
        assert response.status_code == 422, path
        error = json.loads(response.content)["error"]
        assert error == {"message": "unknown question id 'a\\ud800'", "field": "answers.a\ud800"}


def test_json_lines_without_a_final_newline_and_an_overlong_line(api):
    long = json.dumps({"answers": {}, "note": "x" * (1024 * 1024)})
    body = f"{long}\n{json.dumps({'answers': CALM})}"
    response = api.post(
        "/v1/evaluate", content=body.encode(), headers={"content-type": "application/x-ndjson"}
    )
    records = [json.loads(line) for line in response.content.splitlines()]
    assert records[0] == {
        "id": "request[1]",
        "source": "api",
        "error": {"message": "line 1 is longer than 1 MiB", "field": None},
    }
    assert records[1]["id"] == "request[2]" and records[1]["disposition"]
    assert len(records) == 2


def test_errors_carry_the_cli_message_and_field(api):
    expected = json.loads(batch_lines("-", input='{"answers": {"age": 200}}\n')[0])["error"]
    response = post_json(api, "/v1/evaluate", {"answers": {"age": 200}})
    assert response.status_code == 422
    assert response.json() == {"error": expected}
    assert expected == {
        "message": "200 is out of range: a whole number from 0 to 120",
        "field": "answers.age",
    }
    cases = [
        (b"not json", 400, "invalid JSON: Expecting value at line 1 column 1", None),
        (
            b'{"answers": {"fever": "yes", "fever": "no"}}',
            400,
            "duplicate key 'fever'",
            "answers.fever",
        ),
        (b"\xff\xfe", 400, "request body is not UTF-8 text", None),
        (b"[" * 100_000, 400, "nested too deeply", None),
        (b"", 400, "empty request body: expected a JSON object", None),
        (b"[]", 422, "a case must be a mapping with 'answers'", None),
        (
            b'{"answers": {"nonsense": 1}}',
            422,
            "unknown question id 'nonsense'",
            "answers.nonsense",
        ),
        (b'{"answer": {}}', 422, "unknown field (a case has id, note, answers, expect)", "answer"),
    ]
    for body, status, message, field in cases:
        response = api.post(
            "/v1/evaluate", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == status, body[:40]
        assert response.json() == {"error": {"message": message, "field": field}}, body[:40]


def test_bodies_are_bounded_and_typed(api):
    big = json.dumps({"answers": {}, "note": "x" * (1024 * 1024)})
    response = api.post("/v1/evaluate", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["message"] == "request body too large (over 1 MiB)"
    response = api.post("/v1/evaluate", content=b"{}", headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert "send application/json" in response.json()["error"]["message"]
    response = api.post("/v1/interview", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_stream_over_its_limit_ends_with_an_error_record(api, monkeypatch):
    from triage.web import api as api_module

    monkeypatch.setattr(api_module, "MAX_STREAM_BYTES", 1000)
    line = json.dumps({"answers": CALM}) + "\n"

    def chunks():
        for _ in range(20):
            yield line.encode()

    response = api.post(
        "/v1/evaluate", content=chunks(), headers={"content-type": "application/x-ndjson"}
    )
    records = [json.loads(x) for x in response.content.splitlines()]
    assert all("disposition" in r for r in records[:-1]) and len(records) < 20
    assert records[-1]["error"]["message"].startswith("request body too large (over ")


def test_unknown_paths_and_methods_are_json_errors(api):
    response = api.get("/v1/evaluate")
    assert response.status_code == 405
    assert response.json() == {
        "error": {"message": "method not allowed (allowed: POST)", "field": None}
    }
    response = api.get("/v1/nothing")
    assert response.status_code == 404
    assert response.json() == {"error": {"message": "not found", "field": None}}


def test_interview_walks_screens_to_the_batch_record(api, triage):
    answers: dict = {}
    plan = {
        "location": "lower_back",
        "severity": 4,
        "duration_weeks": 1,
        "sensations": ["ache", "tightness"],
        "age": 40,
    }
    steps = 0
    while True:
        response = post_json(api, "/v1/interview", {"answers": answers})
        assert response.status_code == 200, response.text
        body = response.json()
        if body["done"]:
            break
        screen = body["screen"]
        assert screen["progress"]["done"] == steps and screen["progress"]["step"] == steps + 1
        for q in screen["questions"]:
            assert q["why"] and q["prompt"] and q["needed_by"]
            answers[q["id"]] = plan.get(q["id"], [] if q["type"] == "multi" else "no")
        steps += 1
    assert body["screen"] is None
    result = body["result"]
    assert result["disposition"] == "tool_use"
    assert re.fullmatch(r"interview-[0-9a-f]{32}", result["id"])  # random: nothing personal
    evaluated = post_json(api, "/v1/evaluate", {"id": result["id"], "answers": answers}).json()
    assert result == evaluated
    assert steps < len(answers)  # grouped questions share a screen


def test_interview_stops_at_an_emergency(api):
    body = post_json(api, "/v1/interview", {"answers": {"saddle_numbness": "yes"}}).json()
    assert body["done"] is True and body["result"]["disposition"] == "emergency"


def test_interview_refuses_what_is_not_a_request(api):
    response = post_json(api, "/v1/interview", {"answers": {}, "expect": {}})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "expect"
    response = post_json(api, "/v1/interview", {"answers": {"severity": "bad"}})
    assert response.status_code == 422
    assert response.json()["error"] == {
        "message": "expected a whole number from 0 to 10, got 'bad'",
        "field": "answers.severity",
    }
    response = post_json(api, "/v1/interview", ["answers"])
    assert response.status_code == 422


def test_a_group_is_one_screen_of_several_questions(api, triage):
    group = triage.rulebase.groups["emergency_signs"]
    screen = post_json(api, "/v1/interview", {"answers": {}}).json()["screen"]
    assert [q["id"] for q in screen["questions"]] == list(group.members)  # red flags first
    assert screen["group"] == {
        "id": group.id,
        "title": group.title,
        "help": group.help,
        "members": list(group.members),
    }
    assert screen["progress"]["done"] == 0 and screen["progress"]["step"] == 1
    before = screen["progress"]["left"]
    # a group counts as one screen: answering all its members takes one step
    answers = dict.fromkeys(group.members, "no")
    after = post_json(api, "/v1/interview", {"answers": answers}).json()["screen"]["progress"]
    assert after["done"] == 1 and after["left"] <= before - 1
    catalogue = api.get("/v1/questions").json()
    assert [g["id"] for g in catalogue["groups"]] == list(triage.rulebase.groups)


def test_catalogue_rulebase_and_health(api, triage):
    rb = triage.rulebase
    catalogue = api.get("/v1/questions").json()
    assert [q["id"] for q in catalogue["questions"]] == sorted(
        rb.questions, key=lambda q: rb.questions[q].order
    )
    saddle = next(q for q in catalogue["questions"] if q["id"] == "saddle_numbness")
    assert [v["label"] for v in saddle["values"]] == ["Yes", "No", "Not sure"]
    info = api.get("/v1/rulebase").json()
    assert (info["name"], info["version"], info["sha256"]) == (rb.name, rb.version, rb.sha256)
    assert [r["id"] for r in info["rules"]] == [r.id for r in rb.rules]
    assert info["rules"][0]["sources"][0]["citation"]
    health = api.get("/healthz").json()
    assert health["status"] == "ok" and health["rulebase"] == rb.identity()
    doc = api.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["components"]["schemas"]["Answers"]["properties"]) == set(rb.questions)


def test_every_response_has_the_security_headers_and_no_cookie(api):
    responses = [
        api.get("/"),
        api.get("/healthz"),
        api.get("/static/style.css"),
        api.get("/nowhere"),
        post_json(api, "/v1/evaluate", {"answers": CALM}),
        api.post("/v1/evaluate", content=b"bad", headers={"content-type": "application/json"}),
    ]
    for r in responses:
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "set-cookie" not in r.headers
        assert "server" not in r.headers
    assert responses[1].headers["cache-control"] == "no-store"


def test_every_decision_goes_to_the_audit_log(triage, tmp_path):
    log = tmp_path / "audit.jsonl"
    with client(triage, audit_log=str(log)) as api:
        post_json(api, "/v1/evaluate", {"id": "a", "answers": {"fever": "yes"}})
        post_json(api, "/v1/evaluate", {"answers": {"age": 500}})  # invalid: no decision
        post_json(api, "/v1/interview", {"answers": {"saddle_numbness": "yes"}})
        post_json(api, "/v1/interview", {"answers": {}})  # a question: no decision yet
        api.post(
            "/v1/evaluate",
            content=b'{"answers": {}}\nbad\n',
            headers={"content-type": "application/x-ndjson"},
        )
    entries = [e.record for e in read_log(log)]
    assert re.fullmatch(r"interview-[0-9a-f]{32}", entries[1]["id"])
    assert [(e["id"], e["endpoint"]) for e in entries] == [
        ("a", "/v1/evaluate"),
        (entries[1]["id"], "/v1/interview"),
        ("request[1]", "/v1/evaluate"),
    ]
    assert entries[0]["command"] == "serve"
    assert entries[0]["result"]["disposition"] == "doctor"
    assert entries[0]["rulebase"] == triage.rulebase.identity()


def test_an_audit_log_that_cannot_be_written(triage, tmp_path, monkeypatch):
    """The API says 503 (a clinic's system retries; no decision goes unlogged); the page still
    shows the person their result."""

    def full_disk(self, record):
        raise OSError(errno.ENOSPC, "No space left on device")

    with client(triage, audit_log=str(tmp_path / "audit.jsonl")) as api:
        monkeypatch.setattr(AuditLog, "append", full_disk)
        response = post_json(api, "/v1/evaluate", {"answers": {"fever": "yes"}})
        assert response.status_code == 503
        assert response.json()["error"]["message"] == (
            "the decision could not be written to the audit log"
        )
        page = api.post(
            "/interview", data={"answers": json.dumps({"saddle_numbness": "yes"}), "action": "next"}
        )
        assert page.status_code == 200 and "Emergency" in page.text
