"""What a person reads on the pages: no internal words, phone numbers to tap, their country.

The corpus scan renders the result page of every bundled case, and the summary and the
clinicians' view of a sample, and looks in the text a person sees (not the markup) for what
belongs only in ``explain``, ``rules`` and the JSON: rule ids, question ids, codes such as
``tool_use`` or ``same_day``, ``None``, citations and source names, "FHIR".
"""

from __future__ import annotations

import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from web_support import client

from triage.cases import Case, iter_cases
from triage.web import state
from triage.web.state import State

ROOT = Path(__file__).resolve().parent.parent
DECISION = "0" * 12 + "4" + "0" * 3 + "8" + "0" * 15


class _Text(HTMLParser):
    """The text of a page as a person sees it (no tags, attributes, or script)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.code = 0

    def handle_starttag(self, tag, attrs):
        self.code += tag == "code"

    def handle_endtag(self, tag):
        self.code -= tag == "code"

    def handle_data(self, data):
        self.parts.append("<code>" if self.code else data)


def seen(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


@pytest.fixture(scope="module")
def web(triage):
    with client(triage) as c:
        yield c


@pytest.fixture(scope="module")
def cases(triage) -> list[Case]:
    return [c for c in iter_cases([str(ROOT / "cases")], triage.rulebase) if isinstance(c, Case)]


def internal_words(triage) -> list[str]:
    rb = triage.rulebase
    words = {r.id for r in rb.rules if "-" in r.id}
    words |= {q for q in rb.questions if "_" in q}
    words |= {o.disposition for o in rb.outcomes if "_" in o.disposition}
    words |= {o.timeframe for o in rb.outcomes if o.timeframe and "_" in o.timeframe}
    words |= {str(s["short"]) for s in rb.sources.values()} - {"NHS"}  # "NHS 111" is a service
    words |= {str(s["citation"]) for s in rb.sources.values()}
    return sorted(words, key=len, reverse=True)


def leaks(text: str, words: list[str], clinicians: bool = False) -> list[str]:
    """Internal words in ``text``; the clinicians' view may cite sources and name formats
    (and rule ids, in code), but says nothing in codes either."""
    if clinicians:
        words = [w for w in words if "_" in w]
    found = [w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]
    patterns = [r"\bNone\b(?! of)", r"\bTrue\b", r"\bFalse\b"]
    if not clinicians:
        patterns += [r"\bFHIR\b", r"\(Source:", r"The sign:"]
    for pattern in patterns:
        found += re.findall(pattern, text)
    return found


def open_page(web, answers: dict, path: str, lang: str = "en-GB") -> str:
    headers = {"accept-language": lang}
    response = web.post(path, data={"answers": json.dumps(answers)}, headers=headers)
    assert response.status_code == 200, response.text[:500]
    return response.text


def test_no_internal_words_on_the_pages_of_any_case(web, triage, cases):
    words = internal_words(triage)
    assert len(cases) > 100
    problems = {}
    for i, case in enumerate(cases):
        pages = {"result": "/result"}
        if i % 7 == 0:  # the same reasons and answers, in other words: a sample
            pages.update(summary="/summary", review="/review")
        # the answers as the interview keeps them for its pages (no clicking through)
        web.cookies.set(state.COOKIE, State(case.answers, [], DECISION).encode(time.time()))
        for name, path in pages.items():
            response = web.get(path, headers={"accept-language": "en-GB"})
            assert response.status_code == 200, (case.id, path)
            text = seen(response.text)
            found = leaks(text, words, clinicians=name == "review")
            if found:
                problems[f"{case.id} {name}"] = found
    assert problems == {}


def test_the_scan_finds_what_it_looks_for(triage):
    words = internal_words(triage)
    for bad in (
        "Concluded: disposition tool_use; timeframe None",
        "(Source: NICE guideline NG59.)",
        "Download them for a clinic (FHIR)",
        "The sign: numbness around the saddle area",
        "needed by major-trauma",
        "answer saddle_numbness",
    ):
        assert leaks(bad, words), bad
    assert leaks("Concluded: disposition tool_use; timeframe None", words, clinicians=True)
    assert leaks("Call NHS 111 or 999. None of these.", words) == []


def test_a_sign_only_answered_not_sure_is_not_named_as_present(web, triage):
    from conftest import CALM

    text = seen(open_page(web, {**CALM, "saddle_numbness": "unsure"}, "/result"))
    item = triage.rulebase.questions["saddle_numbness"].item
    assert f'The sign you were not sure about: "{item}".' in text
    assert "cauda equina" not in text
    assert text.count(item) == 2  # in the reason and in what to tell the doctor


def tel_links(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<a class="tel" href="(tel:[^"]+)">([^<]+)</a>', html)


@pytest.mark.parametrize(
    "lang, emergency, urgent, country",
    [
        ("en-GB,en;q=0.8", "tel:999", "tel:111", "United Kingdom"),
        ("en-US", "tel:911", None, "United States"),
        ("fr-FR", "tel:112", None, "Another country"),
    ],
)
def test_numbers_are_links_to_tap_for_the_browsers_country(web, lang, emergency, urgent, country):
    from conftest import CALM

    page = open_page(web, {**CALM, "both_legs": "yes"}, "/result", lang)
    assert (emergency, emergency[4:]) in tel_links(page)
    assert f"Phone numbers for: <strong>{country}</strong>" in page
    assert 'href="/country?next=/result"' in page or 'href="/country?next=%2Fresult"' in page
    doctor = open_page(web, {**CALM, "fever": "yes"}, "/result", lang)
    hrefs = {href for href, _ in tel_links(doctor)}
    assert emergency in hrefs
    if urgent:
        assert urgent in hrefs
        assert "111.nhs.uk" in doctor and 'tel:111">111</a>.nhs.uk' not in doctor


def test_change_country_overrides_the_browsers_language(triage):
    from conftest import CALM

    with client(triage) as web:
        form = web.get("/country?next=/result", headers={"accept-language": "en-US"})
        assert 'value="us" checked' in form.text and 'value="/result"' in form.text
        chosen = web.post(
            "/country", data={"region": "uk", "next": "/result"}, follow_redirects=False
        )
        assert chosen.status_code == 303 and chosen.headers["location"] == "/result"
        cookie = chosen.headers["set-cookie"]
        assert cookie.startswith("triage_country=uk;") and "max-age" not in cookie.lower()
        page = open_page(web, {**CALM, "both_legs": "yes"}, "/result", "en-US")
        assert ("tel:999", "999") in tel_links(page) and '<html lang="en-GB">' in page
        # only a page of the interview to go back to; only a country listed
        away = web.post("/country", data={"region": "us", "next": "https://evil.example/"})
        assert away.url.path == "/"
        assert web.post("/country", data={"region": "mars"}).status_code == 422
        assert 'value="/"' in web.get("/country?next=//evil.example").text


def test_the_servers_region_comes_before_the_browsers_language(triage):
    from conftest import CALM

    with client(triage, region="us") as web:
        page = open_page(web, {**CALM, "both_legs": "yes"}, "/result", "en-GB")
        assert ("tel:911", "911") in tel_links(page)


def test_no_internal_words_on_the_screens(web, triage, cases):
    """Every screen of a sample of cases, with its "why we ask" (no sources named there)."""
    from triage.web.screens import replay

    words = internal_words(triage)
    problems = {}
    for case in cases[::10]:
        screens = [list(s) for s in replay(triage, case.answers).screens]
        web.cookies.set(state.COOKIE, State(case.answers, screens).encode(time.time()))
        for step in range(1, len(screens) + 1):
            text = seen(web.get(f"/interview/{step}").text)
            found = leaks(text, words) + re.findall(r"Based on:", text)
            if found:
                problems[f"{case.id} {step}"] = found
    assert problems == {}
