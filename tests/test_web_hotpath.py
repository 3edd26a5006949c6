"""The busiest API routes, served without the router, answer exactly as through it.

``HotRoutes`` calls the handlers of ``POST /v1/evaluate`` and ``POST /v1/interview``
directly, and ``ScreenEncoder`` encodes each question of a screen once per rule base: both
must give the very bytes (status, headers, body) of the plain path, errors included.
"""

from __future__ import annotations

import json
import random
import re

from conftest import CALM
from starlette.testclient import TestClient

from triage.formats import json_bytes
from triage.web.app import create_app
from triage.web.hotpath import HotRoutes
from triage.web.screens import ScreenEncoder, screen_json
from triage.web.settings import Settings

ALLOWED = "https://ehr.example.org"
RANDOM_ID = re.compile(rb"interview-[0-9a-f]{32}")


def hot_routes(app) -> HotRoutes:
    """The app's ``HotRoutes`` layer (inside the header and CORS middlewares)."""
    while not isinstance(app, HotRoutes):
        app = app.app
    return app


def requests() -> list[tuple[str, bytes, dict[str, str]]]:
    """Good and bad requests to both routes: every way they answer."""
    json_type = {"content-type": "application/json"}
    out = []
    for path in ("/v1/evaluate", "/v1/interview"):
        out += [
            (path, json.dumps({"answers": CALM}).encode(), json_type),
            (path, json.dumps({"answers": {}}).encode(), json_type),
            (path, json.dumps({"answers": {"saddle_numbness": "yes"}}).encode(), json_type),
            (path, b'{"answers": {"age": 500}}', json_type),
            (path, b'{"answers": {"nope": 1}}', json_type),
            (path, b'{"answers": {}, "answers": {}}', json_type),
            (path, b"{not json", json_type),
            (path, b"", json_type),
            (path, b"\xff\xfe", json_type),
            (path, b"[]", json_type),
            (path, b"{}", {"content-type": "text/plain"}),
            (path, b"{}", {}),
            (path, b"x" * (2**20 + 1), json_type),
            (path, b"{}", {**json_type, "origin": "https://evil.example"}),
            (path, b"{}", {**json_type, "origin": ALLOWED}),
            (path, b"{}", {**json_type, "sec-fetch-site": "cross-site"}),
            (path + "?region=nowhere", json.dumps({"answers": CALM}).encode(), json_type),
        ]
    out.append(
        (
            "/v1/evaluate",
            b'{"answers": {}}\n{"answers": 1}\n',
            {"content-type": "application/x-ndjson"},
        )
    )
    return out


def test_the_hot_routes_answer_byte_for_byte_as_the_router(triage):
    app = create_app(Settings(cors_origins=(ALLOWED,)), triage)
    hot = hot_routes(app)
    handlers = dict(hot.handlers)
    assert sorted(handlers) == ["/v1/evaluate", "/v1/interview"]
    with TestClient(app, raise_server_exceptions=False) as c:
        for path, body, headers in requests():
            headers = {**headers, "x-request-id": "same-id"}
            hot.handlers = handlers
            fast = c.post(path, content=body, headers=headers)
            hot.handlers = {}  # every request through Starlette's router
            plain = c.post(path, content=body, headers=headers)
            assert fast.status_code == plain.status_code, (path, body[:40])
            assert fast.headers.items() == plain.headers.items(), (path, body[:40])
            same = RANDOM_ID.sub(b"interview-id", fast.content)
            assert same == RANDOM_ID.sub(b"interview-id", plain.content), (path, body[:40])


def test_a_bug_in_a_hot_route_is_a_json_500_with_the_headers(triage, monkeypatch):
    app = create_app(Settings(), triage)
    hot = hot_routes(app)
    handlers = dict(hot.handlers)

    def broken(answers):
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as c:
        monkeypatch.setattr(triage, "evaluate", broken)
        for path in ("/v1/evaluate", "/v1/interview"):
            for routes in (handlers, {}):
                hot.handlers = routes
                reply = c.post(path, json={"answers": CALM})
                assert reply.status_code == 500
                assert reply.json() == {"error": {"message": "internal error", "field": None}}
                assert reply.headers["content-security-policy"].startswith("default-src")
                assert reply.headers["x-request-id"]


def test_screens_are_encoded_as_screen_json_encodes_them(triage):
    encoder = ScreenEncoder(triage.rulebase.questions.values(), triage.rulebase.groups.values())
    rng = random.Random(7)
    seen = 0
    for _ in range(40):
        answers: dict = {}
        while (ev := triage.evaluate(answers)).screen is not None:
            screen = ev.screen
            assert json_bytes(encoder.screen(screen, ev)) == json_bytes(screen_json(screen, ev))
            seen += 1
            for q in screen.questions:
                if q.type == "multi":
                    answers[q.id] = ()
                elif q.type in ("integer", "number"):
                    answers[q.id] = q.parse(rng.choice([q.min, q.max]))
                elif "no" in q.choices and rng.random() < 0.98:  # most are no: long interviews
                    answers[q.id] = "no"
                else:
                    answers[q.id] = rng.choice(q.choices)
    assert seen > 100
