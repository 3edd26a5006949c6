"""The Questionnaire in a real form filler: LHC-Forms (npm ``lforms``, the US National Library of
Medicine's), in Chromium, filled in by clicking and typing as a person would.

The form is served from the installed package through Playwright's request routing (no network,
no server): a page that loads LHC-Forms and its FHIR R4 support, then the questionnaire that
``triage export questionnaire`` writes. Each response LHC-Forms exports is read back by
``triage batch``: a tight upper back gets the foam-roller plan, an emergency sign an emergency,
a blank form no self-care (its GuidanceResponse is ``data-required``), and a "none of these"
ticked beside another value keeps the value.

Without Chromium or the npm packages (``npm ci`` in tests/node, as .ci/run does) these tests
skip, saying so; under ``CI=true`` that is a failure.
"""

from __future__ import annotations

import json
import mimetypes
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, RUNNER

from triage.cli import main

pytestmark = pytest.mark.slow  # drives Chromium

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
LFORMS = ROOT / "tests" / "node" / "node_modules" / "lforms" / "dist" / "lforms"
ORIGIN = "http://lforms.test"
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<link rel="stylesheet" href="/lforms/webcomponent/styles.css"></head><body>
<div id="form"></div>
<script src="/lforms/webcomponent/assets/lib/zone.min.js"></script>
<script src="/lforms/webcomponent/runtime.js" type="module"></script>
<script src="/lforms/webcomponent/polyfills.js" type="module"></script>
<script src="/lforms/webcomponent/main.js" type="module"></script>
</body></html>"""
EXPORT = "LForms.Util.getFormFHIRData('QuestionnaireResponse', 'R4')"


def _missing(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message + "; under CI=true the LHC-Forms tests must run")
    pytest.skip(message)


@pytest.fixture(scope="module")
def questionnaire() -> str:
    result = RUNNER.invoke(main, ["export", "questionnaire"])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        _missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    if not (LFORMS / "webcomponent" / "main.js").is_file():
        _missing("LHC-Forms not installed (npm ci in tests/node, as .ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


def _serve(route: Any) -> None:
    """The test page, and LHC-Forms' files from the installed package; nothing else."""
    path = route.request.url.removeprefix(ORIGIN).split("?", 1)[0]
    if path == "/":
        route.fulfill(body=PAGE, content_type="text/html")
        return
    file = (LFORMS / path.removeprefix("/lforms/")).resolve()
    if path.startswith("/lforms/") and file.is_file() and LFORMS.resolve() in file.parents:
        kind = mimetypes.guess_type(file.name)[0] or "application/javascript"
        route.fulfill(body=file.read_bytes(), content_type=kind)
        return
    route.fulfill(status=404, body="")


@pytest.fixture()
def form(browser, questionnaire):
    """A page showing the questionnaire in LHC-Forms."""
    page = browser.new_page()
    page.route(f"{ORIGIN}/**", _serve)
    page.goto(f"{ORIGIN}/")
    page.wait_for_function(
        "!!(window.LForms && LForms.Util && typeof LForms.Util.addFormToPage === 'function')"
    )
    page.add_script_tag(url="/lforms/fhir/R4/lformsFHIR.min.js")
    page.wait_for_function("!!(LForms.FHIR && LForms.FHIR.R4)")
    shown = page.evaluate(
        """q => Promise.resolve(LForms.Util.addFormToPage(JSON.parse(q), 'form',
                {fhirVersion: 'R4'})).then(() => 'shown', e => String(e))""",
        questionnaire,
    )
    assert shown == "shown"
    page.wait_for_selector("lhc-item")
    yield page
    page.close()


def item(page: Any, link: str) -> Any:
    """The rendered item of a question (its id is the linkId and its place)."""
    return page.locator(f'[id^="item-{link}/"]').first


def choose(page: Any, link: str, words: str) -> None:
    item(page, link).get_by_text(words, exact=True).first.click()


def type_in(page: Any, link: str, value: str) -> None:
    box = item(page, link).locator("input[placeholder]").first
    box.fill(value)
    box.press("Tab")


def fill_as(page: Any, answers: dict[str, Any], triage: Any) -> None:
    """Answer as a person would: the given answers, then "No" to every other yes/no question
    the form shows and "None of these" to every other multi question it shows (again, for
    the questions that an answer brought into view)."""
    rb = triage.rulebase
    for link, value in answers.items():
        q = rb.questions[link]
        if q.type in ("integer", "number"):
            type_in(page, link, str(value))
        elif q.type == "multi":
            for v in value:
                choose(page, link, "None of these" if v == "none" else q.labels.get(v, v))
        else:
            words = {"yes": "Yes", "no": "No", "unsure": "Not sure"}.get(value)
            choose(page, link, words or q.labels.get(value, value))
    for _ in range(3):
        for q in sorted(rb.questions.values(), key=lambda q: q.order):
            if q.id in answers or q.type not in ("yesno", "multi"):
                continue
            shown = item(page, q.id)
            if shown.count() and not shown.locator("input:checked").count():
                choose(page, q.id, "No" if q.type == "yesno" else "None of these")


def batch_of(response: dict[str, Any], tmp_path: Path, fmt: str = "jsonl") -> dict[str, Any]:
    path = tmp_path / "exported.fhir.json"
    path.write_text(json.dumps(response), encoding="utf-8")
    result = RUNNER.invoke(main, ["batch", "--format", fmt, str(path)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_tight_upper_back_filled_in_lhc_forms_gets_the_foam_roller_plan(form, triage, tmp_path):
    answers = {
        "location": "upper_back",
        "age": 35,
        "severity": 3,
        "duration_weeks": 1,
        "sensations": ["tightness"],
    }
    fill_as(form, answers, triage)
    assert form.evaluate("LForms.Util.checkValidity()") is None  # every required item answered
    record = batch_of(form.evaluate(EXPORT), tmp_path)
    assert (record["disposition"], record["complete"]) == ("tool_use", True)
    assert record["answers"]["sensations"] == ["tightness"]


def test_an_emergency_sign_filled_in_lhc_forms_gets_an_emergency(form, triage, tmp_path):
    answers = {
        "chest_symptoms": "yes",
        "location": "upper_back",
        "age": 58,
        "severity": 6,
        "duration_weeks": 0.5,
        "sensations": ["sharp"],
    }
    fill_as(form, answers, triage)
    record = batch_of(form.evaluate(EXPORT), tmp_path)
    assert record["disposition"] == "emergency"
    assert record["answers"]["chest_symptoms"] == "yes"


def test_a_blank_lhc_form_is_not_valid_and_gets_no_self_care(form, tmp_path):
    missing = form.evaluate("LForms.Util.checkValidity()")
    assert missing and any("requires a value" in m for m in missing)  # the filler says so
    blank = form.evaluate(EXPORT)  # exported all the same, as a careless client might
    assert not blank.get("item")
    record = batch_of(blank, tmp_path)
    assert record["complete"] is False
    guidance = batch_of(blank, tmp_path, fmt="fhir")
    assert guidance["status"] == "data-required" and guidance["dataRequirement"]


def test_help_is_shown_and_none_with_a_value_keeps_the_value(form, triage, tmp_path):
    # The help line (with why it is asked) is a help button LHC-Forms shows.
    button = item(form, "saddle_numbness").locator(".lhc-help-button")
    assert button.count() == 1
    button.click()
    popup = form.locator(".lhc-popover-help")
    popup.get_by_text("Even a small patch counts", exact=False).first.wait_for()
    assert "Why we ask:" in popup.first.inner_text()
    button.click()  # closed again
    # LHC-Forms ignores optionExclusive: a person can tick "None of these" and a value.
    fill_as(
        form,
        {
            "location": "upper_back",
            "age": 35,
            "severity": 3,
            "duration_weeks": 1,
            "sensations": ["none", "tightness"],
        },
        triage,
    )
    exported = form.evaluate(EXPORT)
    record = batch_of(exported, tmp_path)
    assert record["answers"]["sensations"] == ["tightness"]  # what was ticked is kept
    assert record["disposition"] == "tool_use"
