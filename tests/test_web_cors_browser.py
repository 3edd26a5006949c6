"""Cross-origin calls in a real browser (Playwright driving Debian's Chromium): a page of the
allowed origin calls the API after the browser's own CORS preflight; a page of another origin
is blocked, and its simple POSTs (which a browser sends without asking) make no decision.

Skipped without Chromium at ``/usr/bin/chromium``, saying so; under ``CI=true`` a failure.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route
from test_web_browser import browser  # noqa: F401 - the shared Chromium fixture
from web_support import DEADLINE, Server

from triage.audit import read_log

pytestmark = pytest.mark.slow  # drives Chromium

FETCH = """async ([url, body]) => {
  try {
    const r = await fetch(url + "/v1/evaluate", {
      method: "POST",
      headers: {"content-type": "application/json", "x-request-id": "ehr-1"},
      body: body,
    });
    return {status: r.status, json: await r.json(), rid: r.headers.get("x-request-id")};
  } catch (e) {
    return {blocked: String(e)};
  }
}"""
SIMPLE = """async ([url, body]) => {
  await fetch(url + "/v1/evaluate", {method: "POST", mode: "no-cors", body: body});
  return "sent";
}"""
FORM = """(url) => {
  const form = document.createElement("form");
  form.method = "POST";
  form.action = url + "/result";
  const field = document.createElement("input");
  field.name = "q.saddle_numbness";
  field.value = "yes";
  form.appendChild(field);
  document.body.appendChild(form);
  form.submit();
}"""
EMERGENCY = '{"answers": {"saddle_numbness": "yes"}}'


async def other_page(request: Request) -> HTMLResponse:
    return HTMLResponse("<!doctype html><title>Another site</title><p>elsewhere</p>")


@pytest.fixture(scope="module")
def sites():
    """Two other sites (two origins: two ports) serving a plain page."""
    socks = []
    for _ in range(2):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        socks.append(sock)
    app = Starlette(routes=[Route("/", other_page)])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": socks}, daemon=True)
    thread.start()
    deadline = time.monotonic() + DEADLINE
    while not server.started:  # a state, bounded
        assert thread.is_alive() and time.monotonic() < deadline, "the other sites did not start"
        time.sleep(0.01)
    yield [f"http://127.0.0.1:{s.getsockname()[1]}" for s in socks]
    server.should_exit = True
    thread.join(timeout=DEADLINE)
    for sock in socks:
        sock.close()


@pytest.fixture(scope="module")
def triage_server(sites, tmp_path_factory):
    log = tmp_path_factory.mktemp("cors") / "audit.jsonl"
    server = Server("--no-access-log", "--cors-origin", sites[0], "--audit-log", str(log))
    server.log = log
    yield server
    server.kill()


def test_only_the_allowed_origin_gets_answers_and_decisions(browser, sites, triage_server):  # noqa: F811
    allowed, other = sites
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(allowed + "/")
        answer = page.evaluate(FETCH, [triage_server.url, EMERGENCY])
        assert answer.get("status") == 200, answer
        assert answer["json"]["disposition"] == "emergency"
        assert answer["rid"] == "ehr-1"  # exposed to the page by CORS
        decisions = len(list(read_log(triage_server.log)))
        assert decisions == 1

        page.goto(other + "/")
        blocked = page.evaluate(FETCH, [triage_server.url, EMERGENCY])
        assert "blocked" in blocked, blocked  # the preflight was refused
        assert page.evaluate(SIMPLE, [triage_server.url, EMERGENCY]) == "sent"
        with page.expect_response(lambda r: r.url.endswith("/result")) as posted:
            page.evaluate(FORM, triage_server.url)
        assert posted.value.status == 403
        assert len(list(read_log(triage_server.log))) == decisions  # nothing new decided
    finally:
        context.close()
