"""The web interview, in process: plain forms, the answers in the page, Back, errors, result."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import urlencode

import pytest
import yaml
from click.testing import CliRunner
from conftest import CALM
from web_support import GROUP, client, grouped_rules

from triage.cli import main
from triage.knowledge import load_rulebase
from triage.service import Triage


@pytest.fixture(scope="module")
def web(triage):
    with client(triage) as c:
        yield c


def hidden_answers(page: str) -> dict:
    match = re.search(r'name="answers" value="([^"]*)"', page)
    assert match, "no hidden answers on the page"
    return json.loads(html.unescape(match.group(1)))


def submit(web, answers: dict, action: str = "next", **fields) -> object:
    data = {"answers": json.dumps(answers), "action": action}
    if "screens" in fields:
        data["screens"] = fields.pop("screens")
    data.update({f"q.{k}": v for k, v in fields.items()})
    return web.post("/interview", data=data)


def test_start_page_then_the_first_question(web):
    start = web.get("/")
    assert start.status_code == 200
    assert '<html lang="en">' in start.text
    assert 'action="/interview"' in start.text and 'method="post"' in start.text
    first = web.post("/interview", data={"answers": "{}", "action": "start"})
    assert first.status_code == 200
    assert "Where is your pain mainly?" in first.text
    assert "Step 1 of about" in first.text
    assert "Why we ask this" in first.text
    assert "Back to the previous question" not in first.text  # nothing to go back to


def test_each_answer_moves_on_and_travels_in_the_page(web):
    page = submit(web, {}, location="lower_back")
    assert "How bad has the pain been" in page.text
    assert hidden_answers(page.text) == {"location": "lower_back"}
    page = submit(web, {"location": "lower_back"}, severity="7")
    assert hidden_answers(page.text) == {"location": "lower_back", "severity": 7}
    assert "Step 3 of about" in page.text
    # multi: several boxes, or none at all
    pairs = [
        ("answers", json.dumps({"location": "neck", "severity": 3, "duration_weeks": 1})),
        ("q.sensations", "ache"),
        ("q.sensations", "stiffness"),
    ]
    form = {"content-type": "application/x-www-form-urlencoded"}
    page = web.post("/interview", content=urlencode(pairs), headers=form)
    assert hidden_answers(page.text)["sensations"] == ["stiffness", "ache"]


def test_back_undoes_the_last_screen(web):
    answers = {"location": "lower_back", "severity": 7}
    page = submit(web, answers, action="back")
    assert "How bad has the pain been" in page.text
    assert hidden_answers(page.text) == {"location": "lower_back"}
    assert re.search(r'name="q\.severity"[^>]* value="7"', page.text)  # the answer it had
    page = submit(web, {"location": "lower_back"}, action="back")
    assert "Where is your pain mainly?" in page.text
    assert hidden_answers(page.text) == {}
    assert 'value="lower_back" checked' in page.text


def test_a_missing_or_wrong_answer_shows_the_screen_again_with_the_error(web):
    page = submit(web, {"location": "lower_back"})
    assert page.status_code == 422
    assert "There is a problem" in page.text and "Please type an answer." in page.text
    assert hidden_answers(page.text) == {"location": "lower_back"}
    page = submit(web, {"location": "lower_back"}, severity="11")
    assert "11 is out of range: a whole number from 0 to 10." in page.text
    assert 'aria-invalid="true"' in page.text
    assert 'value="11"' in page.text  # what was typed is kept
    page = submit(web, {}, location="elbow")
    assert page.status_code == 422 and "is not one of the choices" in page.text


def test_answers_that_cannot_be_read_are_a_clear_400_page(web):
    for answers, words in [
        ("{not json", "invalid JSON"),
        ('{"age": 400}', "(answers.age): 400 is out of range"),
        ('{"elbow": "yes"}', "unknown question id"),
        ('{"fever": "yes", "fever": "no"}', "duplicate key"),
        ("[1]", "could not be read"),
    ]:
        page = web.post("/interview", data={"answers": answers})
        assert page.status_code == 400, answers
        assert "Sorry, something went wrong" in page.text and words in page.text, answers
        assert 'href="/"' in page.text
    assert (
        web.post(
            "/interview", content=b"{}", headers={"content-type": "application/json"}
        ).status_code
        == 415
    )


def test_back_takes_the_screens_from_the_page_or_finds_them_again(web):
    answers = {"location": "lower_back", "severity": 7, "duration_weeks": 2}
    # the page's own record of its screens: Back undoes the last one
    page = submit(
        web, answers, action="back", screens='[["location"], ["severity", "duration_weeks"]]'
    )
    assert hidden_answers(page.text) == {"location": "lower_back"}
    # one that does not fit the answers is ignored: the interview is traced again
    for screens in ('[["elbow"]]', "not json", '[["location"], ["location"]]', "[[]]"):
        page = submit(web, answers, action="back", screens=screens)
        assert hidden_answers(page.text) == {"location": "lower_back", "severity": 7}, screens


def test_get_of_a_post_page_goes_to_the_start(web):
    page = web.get("/interview", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/"


def complete(web, answers: dict) -> str:
    """Answer each screen from ``answers`` (no to the rest) until the result page."""
    page = submit(web, {}, action="start")
    for _ in range(60):
        if 'class="decision' in page.text:
            return page.text
        qids = dict.fromkeys(re.findall(r'name="q\.([a-z_]+)"', page.text))
        page = submit(web, hidden_answers(page.text), **{q: answers.get(q, "no") for q in qids})
        assert page.status_code == 200, page.text[:2000]
    raise AssertionError("the interview did not end")


def test_result_page_words_for_patients_only(web, triage):
    text = complete(web, {**CALM, "sensations": "ache"})
    assert 'class="decision decision-self_stretching"' in text
    decision = text.index('class="decision')
    assert decision < text.index(">Why<") < text.index(">What to do<") < text.index(">Cautions<")
    assert (
        text.index(">Cautions<") < text.index("Get help sooner if") < text.index("not a diagnosis")
    )
    # no rule ids, file names or citations on the patient's page
    rb = triage.rulebase
    for rule in rb.rules:
        assert f">{rule.id}<" not in text and f" {rule.id} " not in text
    for name in rb.files:
        assert name not in text
    for source in rb.sources.values():
        assert source["citation"] not in text
    for words in ("Summary for your doctor or physical therapist", "Download your answers"):
        assert words in text


def test_emergency_from_a_yes(web):
    answers = {
        "location": "lower_back",
        "severity": 5,
        "duration_weeks": 1,
        "sensations": [],
        "age": 40,
    }
    page = submit(web, answers, saddle_numbness="yes")
    assert 'class="decision decision-emergency"' in page.text
    assert "Emergency: call emergency services" in page.text


def test_summary_review_and_download(web, triage, tmp_path):
    answers = {"fever": "yes", "location": "neck", "severity": 4}
    data = {"answers": json.dumps(answers)}
    summary = web.post("/summary", data=data).text
    rb = triage.rulebase
    assert "Summary for your doctor or physical therapist" in summary
    assert re.search(r"<dd>\d{4}-\d\d-\d\d</dd>", summary)
    assert f"{rb.name} {rb.version}" in summary and rb.sha256[:12] in summary
    assert "Do you have a temperature" in summary and "<td>Yes</td>" in summary
    review = web.post("/review", data=data).text
    assert "infection-fever" in review or "fever" in review
    assert any(r.id in review for r in rb.rules)
    download = web.post("/answers", data=data)
    assert download.headers["content-disposition"].startswith('attachment; filename="web-')
    case = tmp_path / "case.yaml"
    case.write_bytes(download.content)
    doc = yaml.safe_load(download.content)
    assert doc["answers"] == answers and doc["expect"]["disposition"] == "doctor"
    result = CliRunner().invoke(main, ["batch", "--check", "--format", "csv", str(case)])
    assert result.exit_code == 0, result.output
    assert "1 ok, 0 failed" in result.stderr


def test_a_group_is_one_screen_with_none_of_these(tmp_path):
    triage = Triage(load_rulebase(grouped_rules(tmp_path / "r")))
    with client(triage) as web:
        answers = {"location": "lower_back", "severity": 4, "duration_weeks": 1}
        answers.update(sensations=[], age=40)
        page = submit(web, answers, action="start")
        assert f"<h1>{GROUP['title']}</h1>" in page.text
        assert page.text.count("<fieldset") == 2 and page.text.count("<legend>") == 2
        assert "None of these" in page.text
        # "None of these" answers no to what is blank, but keeps a yes
        after = submit(web, answers, action="none")
        assert hidden_answers(after.text) == {
            **answers,
            "saddle_numbness": "no",
            "bladder_bowel_change": "no",
        }
        kept = submit(web, answers, action="none", bladder_bowel_change="yes")
        assert "decision-emergency" in kept.text
        # one missing answer with Continue: the screen again, the other answer kept
        partial = submit(web, answers, saddle_numbness="no")
        assert partial.status_code == 422 and "There is a problem" in partial.text
        assert 'value="no" checked' in partial.text
        # Back from the next screen goes back over the whole group
        done = {**answers, "saddle_numbness": "no", "bladder_bowel_change": "no"}
        back = submit(web, done, action="back")
        assert hidden_answers(back.text) == answers
