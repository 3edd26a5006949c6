"""Back, Forward and reload in the web interview, in process: each form a POST answered by a
303 to a GET page, the answers kept for those pages in a session cookie; the decision's id."""

from __future__ import annotations

import json
import re
import time
import zlib
from base64 import urlsafe_b64encode

import pytest
from conftest import CALM
from web_forms import as_shown, fields, questions, shown
from web_support import client

from triage.web import state
from triage.web.state import State

UUID = r"\b[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}\b"  # a UUID4, as 32 hex digits


@pytest.fixture()
def web(triage, tmp_path):
    """A fresh browser (its own cookies) on a server with an audit log."""
    with client(triage, audit_log=str(tmp_path / "audit.jsonl")) as c:
        c.audit_path = tmp_path / "audit.jsonl"
        yield c


def post(web, answers: dict, action: str = "next", **fields):
    data = {"answers": json.dumps(answers), "action": action}
    data.update({f"q.{k}": v for k, v in fields.items()})
    return web.post("/interview", data=data, follow_redirects=False)


def hidden_answers(text: str) -> dict:
    import html

    return json.loads(html.unescape(re.search(r'name="answers" value="([^"]*)"', text).group(1)))


def flags(triage, group: str) -> dict:
    return dict.fromkeys(triage.rulebase.groups[group].members, "no")


def walk(web, response, stop, wanted: dict | None = None) -> tuple[int, str]:
    """From a 303 to a screen, answer each screen the page asks from ``wanted`` (the table of
    ``web_forms`` for the rest) until one whose question ids meet ``stop``: its step and
    page, not answered."""
    for _ in range(60):
        to = response.headers["location"]
        assert to.startswith("/interview/"), to
        page = web.get(to).text
        if stop(questions(page)):
            return int(to.rsplit("/", 1)[1]), page
        response = post(web, hidden_answers(page), **fields(page, wanted))
    raise AssertionError("the interview did not reach the screen wanted")


def test_each_form_is_a_post_then_a_303_to_a_get_page_with_no_answers_in_its_address(web):
    start = post(web, {}, action="start")
    assert start.status_code == 303 and start.headers["location"] == "/interview/1"
    cookie = start.headers["set-cookie"]
    assert cookie.startswith(f"{state.COOKIE}=")
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/"):
        assert attribute.lower() in cookie.lower()
    assert "max-age" not in cookie.lower() and "expires" not in cookie.lower()  # session only
    nxt = post(web, {}, action="none")
    assert nxt.status_code == 303 and nxt.headers["location"] == "/interview/2"
    page = web.get("/interview/2")
    assert page.status_code == 200 and "Step 2 of about" in page.text


def test_back_and_reload_show_a_screen_again_with_its_answers(web, triage):
    first = flags(triage, "emergency_signs")
    post(web, {}, action="start")
    post(web, {}, saddle_numbness="no", **{q: "no" for q in first if q != "saddle_numbness"})
    post(web, first, action="none")
    both = {**first, **flags(triage, "warning_signs")}
    sent = fields(web.get("/interview/3").text, {"location": "neck", "age": 40})
    post(web, both, **sent)
    # Back to the first screen: the GET page, its answers chosen again
    one = web.get("/interview/1")
    assert one.status_code == 200 and "Step 1 of about" in one.text
    assert one.text.count('value="no" checked') == len(first)
    assert hidden_answers(one.text) == {}  # what the page's form acts on: the answers before
    three = web.get("/interview/3")
    assert as_shown(sent) and shown(three.text) == as_shown(sent)
    assert hidden_answers(three.text) == both
    again = web.get("/interview/3")  # reload: the same page
    assert again.text == three.text
    # a step past the one to answer next goes to it; before the first, to the first
    assert web.get("/interview/9", follow_redirects=False).headers["location"] == "/interview/4"
    assert web.get("/interview/0", follow_redirects=False).headers["location"] == "/interview/1"


def test_continue_after_back_keeps_the_later_answers_only_if_nothing_changed(web, triage):
    both = {**flags(triage, "emergency_signs"), **flags(triage, "warning_signs")}
    step, page = walk(web, post(web, both, action="show"), lambda ids: "location" in ids)
    before = hidden_answers(page)
    post(web, before, location="neck")
    sent = fields(web.get(f"/interview/{step + 1}").text, {"age": 40, "severity": 4})
    post(web, {**before, "location": "neck"}, **sent)
    # back to the location screen, Continue with the same answer: on to the next, as answered
    same = post(web, before, location="neck")
    assert same.headers["location"] == f"/interview/{step + 1}"
    assert as_shown(sent) and shown(web.get(f"/interview/{step + 1}").text) == as_shown(sent)
    # a changed answer: what came after it is asked again
    changed = post(web, before, location="lower_back")
    assert changed.headers["location"] == f"/interview/{step + 1}"
    assert shown(web.get(f"/interview/{step + 1}").text) == {}
    page = web.get(f"/interview/{step + 1}").text
    assert hidden_answers(page) == {**before, "location": "lower_back"}


def test_an_error_is_a_get_page_too(web):
    post(web, {}, action="start")
    wrong = post(web, {})  # Continue with nothing chosen
    assert wrong.status_code == 303 and wrong.headers["location"] == "/interview/1"
    page = web.get("/interview/1")
    assert page.status_code == 422 and "There is a problem" in page.text


def test_no_cookie_a_bad_one_or_an_old_one_is_no_interview(web, triage):
    assert web.get("/interview/2", follow_redirects=False).headers["location"] == "/"
    assert web.get("/result", follow_redirects=False).headers["location"] == "/"
    assert "Step 1 of about" in web.get("/interview/1").text  # the first screen needs none
    both = {**flags(triage, "emergency_signs"), **flags(triage, "warning_signs")}
    old = State(both, []).encode(time.time() - state.IDLE_SECONDS - 60)
    bomb = urlsafe_b64encode(zlib.compress(b'{"a":"' + b"x" * 10**6 + b'"}')).decode()
    wrong = urlsafe_b64encode(zlib.compress(json.dumps({"a": {"age": 400}, "t": 0}).encode()))
    for value in (old, bomb, "not base64!", wrong.decode(), "eJwDAAAAAAE="):
        web.cookies.set(state.COOKIE, value)
        response = web.get("/interview/3", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/", value[:20]
    fresh = State(both, []).encode(time.time())
    web.cookies.set(state.COOKIE, fresh)
    following = [q.id for q in triage.evaluate(both).screen.questions]
    assert list(questions(web.get("/interview/3").text)) == following


def test_start_again_clears_the_answers_from_the_browser(web):
    post(web, {}, action="start")
    post(web, {}, action="none")
    assert web.cookies.get(state.COOKIE)
    start = web.get("/")
    assert (
        f'{state.COOKIE}=""' in start.headers["set-cookie"]
        or "Max-Age=0" in (start.headers["set-cookie"])
    )
    assert not web.cookies.get(state.COOKIE)
    assert web.get("/interview/2", follow_redirects=False).headers["location"] == "/"


def answer_all(web, wanted: dict) -> str:
    """Click through from the start, answering what each page asks from ``wanted`` (the table
    of ``web_forms`` for the rest); the result page."""
    response = post(web, {}, action="start")
    for _ in range(60):
        if response.headers["location"] == "/result":
            return web.get("/result").text
        page = web.get(response.headers["location"]).text
        response = post(web, hidden_answers(page), **fields(page, wanted))
    raise AssertionError("the interview did not end")


def audit_lines(web) -> list[dict]:
    return [json.loads(line) for line in web.audit_path.read_text().splitlines()]


def test_each_decision_has_its_own_id_on_its_pages_and_in_the_audit_log(web, triage):
    result = answer_all(web, {**CALM, "fever": "yes"})
    ids = re.findall(UUID, result)
    assert len(set(ids)) == 1, ids
    decision = ids[0]
    assert decision in web.get("/summary").text and decision in web.get("/review").text
    assert re.findall(UUID, web.get("/result").text) == [decision]  # reload: the same
    (line,) = audit_lines(web)
    assert line["decision_id"] == decision and line["result"]["disposition"] == "doctor"
    # a different interview: another id
    other = answer_all(web, {**CALM, "sensations": ["ache", "tightness"]})
    second = re.findall(UUID, other)[0]
    assert second != decision
    assert [line["decision_id"] for line in audit_lines(web)] == [decision, second]


def test_back_then_continue_unchanged_keeps_the_decision(web, triage):
    result = answer_all(web, {**CALM, "fever": "yes"})
    decision = re.findall(UUID, result)[0]
    last = re.search(r'href="/interview/(\d+)"', result).group(1)
    page = web.get(f"/interview/{last}")
    again = post(web, hidden_answers(page.text), **shown(page.text))
    assert again.headers["location"] == "/result"
    assert re.findall(UUID, web.get("/result").text)[0] == decision
    assert len(audit_lines(web)) == 1


ONE_YES = "If any one is a yes, you can go on at once."


def test_a_yes_to_an_emergency_sign_ends_the_checklist_at_once(web, triage):
    first = post(web, {}, action="start")
    page = web.get(first.headers["location"])
    assert 'name="q.saddle_numbness" value="yes" required' not in page.text  # not demanded
    done = post(web, {}, saddle_numbness="yes")  # the others left blank
    assert done.headers["location"] == "/result"
    assert 'class="decision decision-emergency"' in web.get("/result").text
    # a "not sure" alone does not settle it: the others are still needed
    post(web, {}, action="start")
    unsure = post(web, {}, saddle_numbness="unsure")
    assert unsure.headers["location"] == "/interview/1"
    assert web.get("/interview/1").status_code == 422


def test_the_checklist_says_one_yes_is_enough_only_when_it_is(web, triage):
    """A sign whose yes alone settles nothing (a new change in sex life counts with a nerve
    sign) leaves the others needed: then the page must not say that one yes is enough. With
    such signs answered first, each yes of the screen left is enough, and the page says so."""
    signs = [q.id for q in triage.evaluate({}).screen.questions]

    def others_needed(given: dict, sign: str) -> bool:
        return bool(set(signs) & set(triage.evaluate({**given, sign: "yes"}).needs))

    weak = [q for q in signs if others_needed({}, q)]
    post(web, {}, action="start")
    assert (ONE_YES in web.get("/interview/1").text) == (not weak)
    if weak:  # its yes, the others blank: the checklist again, the others asked for
        alone = post(web, {}, **{weak[0]: "yes"})
        assert alone.headers["location"] == "/interview/1"
        assert web.get("/interview/1").status_code == 422
    given = dict.fromkeys(weak, "no")
    post(web, given, action="start")
    page = web.get("/interview/1").text
    rest = list(questions(page))
    assert rest == [q for q in signs if q not in weak]
    assert not any(others_needed(given, q) for q in rest)
    assert ONE_YES in page


def test_every_decision_the_server_audits_has_its_own_id(web):
    """The API's decisions too, though their records keep the id the request gave."""
    for _ in range(2):
        web.post("/v1/evaluate", json={"id": "same", "answers": {"fever": "yes"}})
    ids = [line["decision_id"] for line in audit_lines(web)]
    assert len(ids) == 2 and len(set(ids)) == 2
    assert all(re.fullmatch(UUID, i) for i in ids)
    assert [line["id"] for line in audit_lines(web)] == ["same", "same"]


def test_the_reference_on_the_page_finds_the_decision_with_explain(web, triage, runner):
    from triage.cli import main

    result = answer_all(web, {**CALM, "fever": "yes"})
    reference = re.findall(UUID, result)[0]
    explained = runner.invoke(main, ["explain", str(web.audit_path), "--id", reference])
    assert explained.exit_code == 0, explained.output
    assert "See a doctor today" in explained.output and reference in explained.output


def test_a_long_rejected_answer_is_not_kept_but_the_interview_is(web, triage):
    # the boxes of a multi question: the one field a form may give many times
    both = {**flags(triage, "emergency_signs"), **flags(triage, "warning_signs")}
    start = post(web, both, action="show")
    step, page = walk(web, start, lambda ids: "checkbox" in ids.values())
    (multi,) = [q for q, kind in questions(page).items() if kind == "checkbox"]
    before = hidden_answers(page)
    junk = ["".join(chr(0x4E00 + (i * 7919 + j) % 20000) for j in range(100)) for i in range(20)]
    wrong = web.post(
        "/interview",
        data={"answers": json.dumps(before), "action": "next", f"q.{multi}": junk},
        follow_redirects=False,
    )
    assert wrong.headers["location"] == f"/interview/{step}"
    assert len(wrong.headers["set-cookie"]) < 4096
    page = web.get(f"/interview/{step}")
    assert page.status_code == 200 and hidden_answers(page.text) == before
