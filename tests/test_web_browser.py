"""The web interview in a real browser: Playwright driving Debian's Chromium.

Every disposition reached by clicking, Back and "why", JavaScript off, the keyboard alone,
phone and desktop widths, the print view, and axe-core's accessibility rules. One server and
one browser serve the whole module. Screenshots go to ``$TRIAGE_SCREENSHOTS`` (the README's
come from ``TRIAGE_SCREENSHOTS=docs/images``), else to a temporary directory.

Without Chromium at ``/usr/bin/chromium`` these tests are skipped, saying so; under
``CI=true`` that is a failure instead (``.ci/run`` installs Chromium when it is missing).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import CALM
from web_support import Server

from triage.service import Triage

pytestmark = pytest.mark.slow  # drives Chromium

CHROMIUM = "/usr/bin/chromium"
# Flags that work on a closed network: no background connections, no updates, no sync.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Answers that lead to each disposition; any other question on the way is answered "No".
ROUTES = {
    "emergency": {**CALM, "saddle_numbness": "yes"},
    "doctor": {**CALM, "fever": "yes"},
    "physical_therapist": {**CALM, "severity": 7},
    "tool_use": {**CALM, "sensations": ["ache", "tightness"]},
    "self_stretching": CALM,
}


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; under CI=true the browser tests must run")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # Playwright gives each launch a new, empty user-data directory.
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server():
    server = Server("--no-access-log")
    yield server
    server.kill()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    where = os.environ.get("TRIAGE_SCREENSHOTS")
    path = Path(where) if where else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 375, "height": 812})
    yield context.new_page()
    context.close()


def answer_screen(page, answers: dict) -> None:
    """Answer every question on the screen shown, from ``answers`` ("no" by default)."""
    names = page.eval_on_selector_all(
        "form.screen [name^='q.']", "els => [...new Set(els.map(e => e.name))]"
    )
    for name in names:
        qid = name[2:]
        kind = page.get_attribute(f"[name='{name}']", "type")
        value = answers.get(qid, [] if kind == "checkbox" else "no")  # a multi: none by default
        if kind == "number":
            page.fill(f"[name='{name}']", str(value))
        else:
            for v in value if isinstance(value, list) else [value]:
                page.check(f"#q-{qid}-{v}")


def _flags() -> dict:
    groups = Triage.load().rulebase.groups
    return dict.fromkeys(groups["emergency_signs"].members + groups["warning_signs"].members, "no")


NO_FLAGS = _flags()  # no to every red flag: the first two screens


def full_answers(wanted: dict) -> dict:
    """Every answer an interview with ``wanted`` gives ("no" to the rest), found in process."""
    triage = Triage.load()
    answers: dict = {}
    while (screen := triage.evaluate(answers).screen) is not None:
        for q in screen.questions:
            answers[q.id] = q.parse(wanted.get(q.id, [] if q.type == "multi" else "no"))
    return {q: list(v) if isinstance(v, tuple) else v for q, v in answers.items()}


def post_answers(page, server, answers: dict) -> None:
    """Open the page those answers lead to, as the interview's own form would post them (a
    short cut past the screens that the tests above click through)."""
    page.goto(server.url + "/")
    script = """answers => {
        const form = document.querySelector("form");
        form.querySelector("[name=answers]").value = JSON.stringify(answers);
        form.querySelector("button").value = "show";
        form.requestSubmit(form.querySelector("button"));
    }"""
    with page.expect_navigation():
        page.evaluate(script, answers)


def go(page, selector: str) -> None:
    """Click something that loads a page, and wait until the new page has loaded."""
    with page.expect_navigation():
        page.click(selector)


def start(page, server) -> None:
    page.goto(server.url + "/")
    go(page, "text=Start")


def complete(page, answers: dict) -> None:
    """Go through the interview with ``answers`` until the result page."""
    for _ in range(40):
        if page.locator(".decision").count():
            return
        answer_screen(page, answers)
        go(page, "button[value=next]")
    raise AssertionError("the interview did not end")


@pytest.mark.parametrize("disposition", list(ROUTES))
def test_each_disposition_in_words_and_colour(page, server, shots, disposition):
    start(page, server)
    complete(page, ROUTES[disposition])
    decision = page.locator(".decision")
    assert decision.get_attribute("class") == f"decision decision-{disposition}"
    heading = page.locator("h1#decision").inner_text()
    assert len(heading.split()) >= 3  # said in words, not only shown in a colour
    colour = decision.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    for section in ("Why", "What to do"):
        assert page.get_by_role("heading", name=section).count() == 1
    page.screenshot(path=str(shots / f"result-{disposition}-375.png"))  # what shows first
    page.screenshot(path=str(shots / f"result-{disposition}-375-whole.png"), full_page=True)


def test_why_and_back(page, server):
    start(page, server)
    assert page.locator("h1").inner_text().endswith("Do you have any of these?")
    go(page, "button[value=none]")  # "None of these"
    why = page.locator("fieldset:has(#q-fever-yes) details.why")
    assert not why.locator("p").first.is_visible()
    why.locator("summary").click()
    assert "infection" in why.locator("p").first.inner_text()  # fever: why it matters
    go(page, "text=Back to the previous question")
    assert page.locator("h1").inner_text().endswith("Do you have any of these?")
    assert page.is_checked("#q-saddle_numbness-no")  # the answers it had


def test_without_javascript(browser, server, shots):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 812})
    page = context.new_page()
    start(page, server)
    complete(page, ROUTES["doctor"])
    assert "See a doctor" in page.locator("h1#decision").inner_text()
    assert page.locator("[data-print]").is_hidden()  # the script shows it; without, a hint
    assert page.locator(".no-script-hint").first.is_visible()
    go(page, "text=Summary for your doctor or physical therapist")
    assert page.locator("h1").inner_text() == "Summary for your doctor or physical therapist"
    go(page, "text=Back to your result")
    go(page, "text=Change my last answer")
    assert page.locator("form.screen").count() == 1
    context.close()


def test_keyboard_only(page, server):
    page.goto(server.url + "/")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip-link"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Change country"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Start"
    page.keyboard.press("Enter")
    page.wait_for_selector("#q-saddle_numbness-yes")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # "Change country"
    page.keyboard.press("Tab")  # the first radio of the first question
    assert page.evaluate("document.activeElement.id") == "q-saddle_numbness-yes"
    page.keyboard.press("ArrowDown")  # moves to, and chooses, "No"
    assert page.is_checked("#q-saddle_numbness-no")
    for _ in range(40):  # on through each question and its "why" to "None of these"
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.value") == "none":
            break
    page.keyboard.press("Enter")
    page.wait_for_selector("#q-fever-yes")  # the next screen: the answers were taken
    first = page.locator("form.screen input[type=radio]").first.get_attribute("id")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # a radio is chosen with the space bar too
    assert first.endswith("-yes") and page.is_checked(f"#{first}")
    assert page.locator(".progress").inner_text().startswith("Step 2 of about")


@pytest.mark.parametrize("width", [320, 375, 1280])
def test_fits_the_width(browser, server, shots, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    fits = "document.documentElement.scrollWidth <= window.innerWidth"
    post_answers(page, server, {})  # the first screen: the emergency signs
    page.locator("details.why summary").first.click()
    assert page.evaluate(fits)
    page.screenshot(path=str(shots / f"width-{width}-interview.png"))
    post_answers(page, server, full_answers(ROUTES["tool_use"]))
    assert page.locator(".decision-tool_use").is_visible()
    assert page.evaluate(fits)
    page.screenshot(path=str(shots / f"width-{width}-result.png"), full_page=True)
    context.close()


def test_print_view(page, server, shots):
    post_answers(page, server, full_answers(ROUTES["physical_therapist"]))
    page.emulate_media(media="print")
    assert page.locator(".decision").is_visible()
    assert page.locator(".actions-panel").is_hidden()
    assert page.locator(".site-header").is_hidden()
    border = page.locator(".decision").evaluate("e => getComputedStyle(e).borderTopStyle")
    assert border == "solid"  # on paper the decision is boxed, not only coloured
    page.screenshot(path=str(shots / "result-print.png"), full_page=True)


def axe_problems(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_accessibility_axe(page, server):
    problems = {}
    page.goto(server.url + "/")
    problems["start"] = axe_problems(page)
    go(page, "text=Start")
    problems["group"] = axe_problems(page)
    page.evaluate("document.querySelector('form.screen').noValidate = true")
    go(page, "button[value=next]")  # no answer: the error summary
    assert page.locator(".error-summary").is_visible()
    problems["error"] = axe_problems(page)
    post_answers(page, server, {**NO_FLAGS, "location": "neck"})
    problems["number"] = axe_problems(page)
    post_answers(page, server, {**NO_FLAGS})
    problems["choice"] = axe_problems(page)
    post_answers(page, server, full_answers(ROUTES["tool_use"]))
    problems["result"] = axe_problems(page)
    go(page, "text=Summary for your doctor or physical therapist")
    problems["summary"] = axe_problems(page)
    go(page, "text=Back to your result")
    go(page, "text=Details for clinicians")
    problems["review"] = axe_problems(page)
    assert {k: v for k, v in problems.items() if v} == {}


# -- Back, the phone's back gesture, the emergency checklist, tap to call, the country ------


def history_back(page) -> None:
    """The phone's back gesture: the browser itself goes to the previous history entry (as
    Android's system back does), not the page's script or a click in it."""
    cdp = page.context.new_cdp_session(page)
    history = cdp.send("Page.getNavigationHistory")
    entry = history["entries"][history["currentIndex"] - 1]
    with page.expect_navigation():
        cdp.send("Page.navigateToHistoryEntry", {"entryId": entry["id"]})
    cdp.detach()


def button_back(page) -> None:
    """The browser's Back button."""
    page.go_back()


def shown(page) -> dict:
    """What the screen shown has chosen or typed, by question id."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll("form.screen [name^='q.']")]
            .filter(e => e.type === "number" ? e.value !== "" : e.checked)
            .map(e => [e.name.slice(2), e.value]))"""
    )


def walk(page, server, wanted: dict) -> list[tuple[str, str, dict]]:
    """Click through to the result, each checklist item answered one by one; each screen's
    address, kind and answers as left."""
    start(page, server)
    seen = []
    for _ in range(40):
        if page.locator(".decision").count():
            return seen
        answer_screen(page, wanted)
        kind = "checklist" if page.locator("fieldset.row").count() else "question"
        if page.locator("input[type=number]").count():
            kind = "number"
        seen.append((page.url, kind, shown(page)))
        go(page, "button[value=next]")
    raise AssertionError("the interview did not end")


@pytest.mark.parametrize("js", [True, False], ids=["script", "no-script"])
@pytest.mark.parametrize("back", [button_back, history_back], ids=["back-button", "gesture"])
def test_back_returns_to_each_screen_with_its_answers(browser, server, js, back):
    context = browser.new_context(
        java_script_enabled=js,
        viewport={"width": 375, "height": 812},
        is_mobile=back is history_back,
        has_touch=back is history_back,
    )
    page = context.new_page()
    screens = walk(page, server, ROUTES["tool_use"])
    kinds = {kind for _, kind, _ in screens}
    assert kinds == {"checklist", "question", "number"}, kinds
    reference = page.locator(".decision-id code").inner_text()
    go(page, "text=Summary for your doctor or physical therapist")
    back(page)  # the summary back to the result: the same decision
    assert page.url.endswith("/result")
    assert page.locator(".decision-id code").inner_text() == reference
    for url, kind, answers in reversed(screens):
        back(page)
        assert page.url == url, (kind, page.url)
        assert page.locator("form.screen").count() == 1, page.content()[:500]
        assert shown(page) == answers, (kind, url)
    # and on again: the answers still there, nothing sent twice
    page.go_forward()
    assert page.url == screens[1][0] and shown(page) == screens[1][2]
    context.close()


def test_an_error_then_back_is_no_resubmission(browser, server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    start(page, server)
    page.check("#q-saddle_numbness-no")  # one of seven: Continue says what is missing
    go(page, "button[value=next]")
    assert page.locator(".error-summary").is_visible()
    go(page, "button[value=none]")
    page.go_back()
    assert page.url.endswith("/interview/1") and page.locator("form.screen").count() == 1
    context.close()


@pytest.mark.parametrize("js", [True, False], ids=["script", "no-script"])
def test_a_yes_on_the_first_checklist_goes_straight_to_the_emergency_result(browser, server, js):
    context = browser.new_context(java_script_enabled=js, viewport={"width": 375, "height": 812})
    page = context.new_page()
    start(page, server)
    page.check("#q-saddle_numbness-yes")  # the first item; the six others left blank
    go(page, "button[value=next]")
    assert page.url.endswith("/result")
    assert page.locator(".decision").get_attribute("class") == "decision decision-emergency"
    context.close()


def test_the_checklist_is_short_on_a_phone(page, server, shots):
    """Each sign is one compact row: its words (up to three lines, and up to three of help),
    a 44 px Yes / No / Not sure row and "why"; about 230 px at 375 px wide, so 250 a row
    bounds it. Was 2,783 px for seven signs (over 390 a row)."""
    start(page, server)
    rows = page.locator("fieldset.row")
    heights = rows.evaluate_all("rows => rows.map(r => r.getBoundingClientRect().height)")
    assert max(heights) <= 250, heights
    total = page.evaluate("document.documentElement.scrollHeight")
    assert total <= 600 + 250 * len(heights), total
    page.screenshot(path=str(shots / "checklist-375.png"), full_page=True)


def test_phone_numbers_are_tel_links_for_the_browsers_country(browser, server, shots):
    context = browser.new_context(locale="en-GB", viewport={"width": 375, "height": 812})
    page = context.new_page()
    post_answers(page, server, full_answers(ROUTES["emergency"]))
    assert page.locator(".country").inner_text().startswith("Phone numbers for: United Kingdom")
    call = page.locator("a[href='tel:999']").first
    assert call.is_visible() and call.inner_text() == "999"
    assert page.locator("a.button.call").get_attribute("href") == "tel:999"  # one big tap
    page.screenshot(path=str(shots / "result-emergency-uk-375.png"))
    post_answers(page, server, full_answers(ROUTES["doctor"]))
    assert page.locator("a[href='tel:111']").first.is_visible()  # the urgent line
    go(page, "text=Change country")
    page.check("#region-us")
    go(page, "text=Use this country")
    assert page.url.endswith("/result")
    assert page.locator("a[href='tel:911']").first.is_visible()
    assert page.locator("a[href='tel:999']").count() == 0
    context.close()


@pytest.mark.parametrize("js", [True, False], ids=["script", "no-script"])
def test_after_start_again_back_shows_no_answers(browser, server, js):
    """On a shared computer: once "Start again" is chosen, Back finds no result or answers."""
    context = browser.new_context(java_script_enabled=js)
    page = context.new_page()
    start(page, server)
    page.check("#q-saddle_numbness-yes")
    go(page, "button[value=next]")
    assert page.locator(".decision").count() == 1
    go(page, "text=Start again")
    page.go_back()
    assert page.url == server.url + "/" and page.locator(".decision").count() == 0
    page.go_back()
    assert page.locator("form.screen [value=yes]:checked").count() == 0
    context.close()
