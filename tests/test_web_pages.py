"""The web interview, in process: plain forms, the answers in the page, Back, errors, result."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import urlencode

import pytest
import yaml
from conftest import CALM
from web_forms import as_answers, as_shown, fields, options, questions, shown
from web_support import client

from triage.cli import main
from triage.service import Triage

FIRST, SECOND = "emergency_signs", "warning_signs"  # the first two screens, both groups


def flags(triage: Triage, group: str) -> dict[str, str]:
    """No to every question of a group."""
    return dict.fromkeys(triage.rulebase.groups[group].members, "no")


FLAGS = {**flags(Triage.load(), FIRST), **flags(Triage.load(), SECOND)}


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


def test_start_page_then_the_first_screen(web, triage):
    start = web.get("/")
    assert start.status_code == 200
    assert '<html lang="en">' in start.text
    assert 'action="/interview"' in start.text and 'method="post"' in start.text
    first = web.post("/interview", data={"answers": "{}", "action": "start"})
    assert first.status_code == 200
    group = triage.rulebase.groups[FIRST]
    assert f">{group.title}</h1>" in first.text  # red flags first, on one screen
    assert "Step 1 of about" in first.text
    assert "Why we ask this" in first.text and "None of these" in first.text
    assert "Back to the previous question" not in first.text  # nothing to go back to


def answered(web, wanted: dict, stop) -> tuple[list[tuple[str, dict]], str]:
    """From the start, answer each screen the page asks from ``wanted`` (the table of
    ``web_forms`` for the rest) until ``stop(ids, page)``, given the question ids of the
    screens answered and the page reached: each answered page with what was sent for it,
    and the page reached, not answered."""
    page = submit(web, {}, action="start")
    steps: list[tuple[str, dict]] = []
    for _ in range(60):
        assert page.status_code == 200 and 'class="decision' not in page.text, page.text[:2000]
        if stop([list(questions(text)) for text, _ in steps], page.text):
            return steps, page.text
        sent = fields(page.text, wanted)
        steps.append((page.text, sent))
        page = submit(web, hidden_answers(page.text), **sent)
    raise AssertionError("the interview did not reach the screen wanted")


def after(step: tuple[str, dict]) -> dict:
    """The answers once a screen's page was sent: those it carried and its own."""
    page, sent = step
    return {**hidden_answers(page), **as_answers(sent, page)}


def test_each_answer_moves_on_and_travels_in_the_page(web, triage):
    page = submit(web, {}, action="none")
    assert hidden_answers(page.text) == flags(triage, FIRST)
    page = submit(web, flags(triage, FIRST), action="none")
    assert hidden_answers(page.text) == FLAGS
    # each answer travels in the next page, which asks the screen the engine picks next
    answers = dict(FLAGS)
    for step in (3, 4):
        assert f"Step {step} of about" in page.text
        asked = triage.evaluate(answers).screen
        assert list(questions(page.text)) == [q.id for q in asked.questions]
        sent = fields(page.text, {"age": 52})
        answers.update(as_answers(sent, page.text))
        page = submit(web, hidden_answers(page.text), **sent)
        assert hidden_answers(page.text) == answers
    assert "Step 5 of about" in page.text
    # multi: several boxes (sent in any order, kept in the question's order), or none at all
    _, page_text = answered(web, {}, lambda ids, text: "checkbox" in questions(text).values())
    (multi,) = [q for q, kind in questions(page_text).items() if kind == "checkbox"]
    first, second = options(page_text, multi)[:2]
    pairs = [
        ("answers", json.dumps(hidden_answers(page_text))),
        (f"q.{multi}", second),
        (f"q.{multi}", first),
    ]
    form = {"content-type": "application/x-www-form-urlencoded"}
    page = web.post("/interview", content=urlencode(pairs), headers=form)
    assert hidden_answers(page.text)[multi] == [first, second]
    page = submit(web, hidden_answers(page_text))  # no box ticked: an answer, none of them
    assert hidden_answers(page.text)[multi] == []


def test_back_undoes_the_last_screen(web):
    # through the location screen and the one after it, whatever that asks
    steps, _ = answered(web, {"severity": 7}, lambda ids, _: ids[-2:-1] == [["location"]])
    (last, sent), (before, _) = steps[-1], steps[-2]
    page = submit(web, after(steps[-1]), action="back")
    assert list(questions(page.text)) == list(questions(last))
    assert hidden_answers(page.text) == hidden_answers(last)
    assert as_shown(sent) and shown(page.text) == as_shown(sent)  # the answer it had
    page = submit(web, hidden_answers(last), action="back")
    assert "Where is your pain mainly?" in page.text
    assert hidden_answers(page.text) == hidden_answers(before)
    assert 'value="lower_back" checked' in page.text


def test_a_missing_or_wrong_answer_shows_the_screen_again_with_the_error(web):
    _, age = answered(web, {}, lambda ids, text: "age" in questions(text))
    answers = hidden_answers(age)
    page = submit(web, answers)
    assert page.status_code == 422
    assert "There is a problem" in page.text and "Please type an answer." in page.text
    assert hidden_answers(page.text) == answers
    page = submit(web, answers, age="200")
    assert page.status_code == 422 and 'aria-invalid="true"' in page.text
    assert "120" in page.text.split("There is a problem")[1].split("</div>")[0]
    assert 'value="200"' in page.text  # what was typed is kept
    _, where = answered(web, {}, lambda ids, text: "location" in questions(text))
    page = submit(web, hidden_answers(where), location="elbow")
    assert page.status_code == 422 and "There is a problem" in page.text


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
    steps, _ = answered(web, {}, lambda ids, _: len(ids) == 5)
    answers = after(steps[-1])
    screens = [list(questions(page)) for page, _ in steps]
    # the page's own record of its screens: Back undoes the last one, here two screens at once
    mine = json.dumps([*screens[:-2], screens[-2] + screens[-1]])
    page = submit(web, answers, action="back", screens=mine)
    assert hidden_answers(page.text) == hidden_answers(steps[-2][0])
    # one that does not fit the answers is ignored: the interview is traced again
    twice = json.dumps([screens[-1][:1], screens[-1][:1]])
    for screens in ('[["elbow"]]', "not json", twice, "[[]]"):
        page = submit(web, answers, action="back", screens=screens)
        assert hidden_answers(page.text) == hidden_answers(steps[-1][0])


def test_get_of_a_post_page_goes_to_the_start(web):
    page = web.get("/interview", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/"


def complete(web, answers: dict) -> str:
    """Answer each screen the page asks from ``answers`` (the table of ``web_forms`` for the
    rest) until the result page."""
    page = submit(web, {}, action="start")
    for _ in range(60):
        if 'class="decision' in page.text:
            return page.text
        page = submit(web, hidden_answers(page.text), **fields(page.text, answers))
        assert page.status_code == 200, page.text[:2000]
    raise AssertionError("the interview did not end")


def test_result_page_words_for_patients_only(web, triage):
    text = complete(web, {**CALM, "sensations": "ache"})
    assert 'class="decision decision-self_stretching"' in text
    order = ['class="decision', "What to do now:", ">Why<", ">What to do<", ">Cautions<"]
    order += ["Watch for these, and get help sooner", "not a diagnosis"]
    places = [text.find(words) for words in order]
    assert [p for p in places if p >= 0] == sorted(p for p in places if p >= 0)
    assert places[0] >= 0 and places[2] >= 0 and places[3] >= 0 and places[-1] >= 0
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
    page = submit(web, {}, action="none", saddle_numbness="yes")  # the yes is kept
    assert 'class="decision decision-emergency"' in page.text
    assert "Emergency: get help now" in page.text
    assert "What to do now:" in page.text


def test_summary_review_and_download(web, triage, tmp_path, runner):
    answers = {"fever": "yes", "location": "neck", "severity": 4}
    data = {"answers": json.dumps(answers)}
    summary = web.post("/summary", data=data).text
    rb = triage.rulebase
    assert "Summary for your doctor or physical therapist" in summary
    assert re.search(r"<dd>\d{4}-\d\d-\d\d</dd>", summary)
    assert f"{rb.name} {rb.version}" in summary and rb.sha256[:12] in summary
    assert "Do you have a fever of 38" in summary and "<td>Yes</td>" in summary
    review = web.post("/review", data=data).text
    assert "infection-fever" in review or "fever" in review
    assert any(r.id in review for r in rb.rules)
    download = web.post("/answers", data=data)
    assert download.headers["content-disposition"].startswith('attachment; filename="web-')
    case = tmp_path / "case.yaml"
    case.write_bytes(download.content)
    doc = yaml.safe_load(download.content)
    assert doc["answers"] == answers and doc["expect"]["disposition"] == "doctor"
    result = runner.invoke(main, ["batch", "--check", "--format", "csv", str(case)])
    assert result.exit_code == 0, result.output
    assert "1 ok, 0 failed" in result.stderr


def test_a_group_is_one_screen_with_none_of_these(web, triage):
    group = triage.rulebase.groups[FIRST]
    page = submit(web, {}, action="start")
    assert page.text.count("<fieldset") == len(group.members)
    assert page.text.count("<legend>") == len(group.members)
    # "None of these" answers no to what is blank, but keeps a yes or a not sure
    after = submit(web, {}, action="none")
    assert hidden_answers(after.text) == flags(triage, FIRST)
    kept = submit(web, {}, action="none", both_legs="unsure")
    assert hidden_answers(kept.text)["both_legs"] == "unsure" or "decision" in kept.text
    # one answer missing with Continue: the screen again, the other answers kept
    partial = submit(web, {}, saddle_numbness="no")
    assert partial.status_code == 422 and "There is a problem" in partial.text
    assert 'value="no" checked' in partial.text
    # Back from the next screen goes back over the whole group
    back = submit(web, flags(triage, FIRST), action="back")
    assert hidden_answers(back.text) == {}
    assert back.text.count('value="no" checked') == len(group.members)


def test_the_answers_download_for_a_clinic_as_fhir_that_batch_reads(web, triage, tmp_path, runner):
    answers = {"fever": "yes", "location": "neck", "severity": 4}
    # on the summary for a clinic, in plain words; not on the person's result page
    summary = web.post("/summary", data={"answers": json.dumps(answers)}).text
    assert 'action="/answers.fhir.json"' in summary and "FHIR" not in summary
    assert 'action="/answers.fhir.json"' not in web.get("/result").text
    download = web.post("/answers.fhir.json", data={"answers": json.dumps(answers)})
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/fhir+json")
    assert download.headers["content-disposition"].endswith('.fhir.json"')
    assert download.json()["resourceType"] == "QuestionnaireResponse"
    path = tmp_path / "visit.json"
    path.write_bytes(download.content)
    result = runner.invoke(main, ["batch", "--format", "jsonl", str(path)])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert (record["disposition"], record["timeframe"]) == ("doctor", "same_day")
    assert record["answers"] == answers


@pytest.mark.parametrize(
    "answers, disposition",
    [
        ({**CALM, "sensations": "ache"}, "self_stretching"),
        ({**CALM, "location": "upper_back", "sensations": "tightness"}, "tool_use"),
        ({**CALM, "fever": "yes"}, "doctor"),
        ({**CALM, "both_legs": "yes", "both_legs_new": "yes"}, "emergency"),
    ],
)
def test_the_next_step_is_said_once(web, answers, disposition):
    """The page's "What to do now" is not said again under "What to do" (as in the terminal).

    But for a physical therapist: the ways to find one are a list that reads as a whole."""
    text = complete(web, answers)
    assert f'class="decision decision-{disposition}"' in text
    text = re.sub(r'<a class="tel" href="[^"]+">([^<]+)</a>', r"\1", text)  # phone links
    step = re.search(r"<strong>What to do now:</strong> ([^<]+)</p>", text).group(1).strip()
    assert text.count(step) == 1, step
    assert text.find(">What to do<") > text.find("What to do now:")
