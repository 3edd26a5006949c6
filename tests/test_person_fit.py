"""Self-care that fits the person (policy v2): the plan changes with the person's answers.

Each adjustment is checked through the interview, as a person meets it; the texts of the
whole rule base are scanned for cracking advice and the barbell; and on random answers, no
self-care plan holds an item that the answers rule out. What is "ruled out" is written here
from the policy, not read from the markings in plans.yaml, so a wrong marking fails.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import answer, full_answers, some_answers

from triage.interview import Interview
from triage.render import render_details, render_summary
from triage.result import build_result
from triage.service import Triage

TRIAGE = Triage.load()
RB = TRIAGE.rulebase
QUESTIONS = list(RB.questions.values())
CALM = {"location": "lower_back", "age": 34, "severity": 3, "duration_weeks": 1}
NEUTRAL = {"yesno": "no", "multi": (), "integer": 30, "number": 1}
RISKY = ("yes", "unsure")


def interview(answers: dict[str, Any], region: str | None = None) -> dict[str, Any]:
    """The record an interview ends with, each screen answered from ``answers`` (a neutral
    answer to the rest), through the same protocol every front end drives."""
    iv = Interview(TRIAGE)
    for _ in range(len(QUESTIONS)):
        ev = iv.evaluate()
        if not ev.next_questions:
            return build_result(ev, RB, asked=iv.asked, region=region)
        given = {}
        for q in ev.next_questions:
            neutral = NEUTRAL.get(q.type, q.values[0] if q.values else None)
            given[q.id] = answers.get(q.id, neutral)
        iv.give(ev, given)
    raise AssertionError("the interview did not end")


def asked(record: dict[str, Any]) -> list[str]:
    return [a["question"] for a in record["asked"]]


def exercises(record: dict[str, Any]) -> list[str]:
    return [e["name"] for r in record["plan"].get("routines", {}).values() for e in r["exercises"]]


def adjustments(record: dict[str, Any]) -> list[str]:
    return [a["id"] for a in record["plan"].get("adjustments", [])]


def tools(record: dict[str, Any]) -> list[str]:
    return [o["id"] for o in record["plan"].get("tools", {}).get("options", [])]


# --- each adjustment, through the interview ----------------------------------------------


def test_a_plain_plan_has_the_articles_stretches_and_no_adjustment():
    r = interview({**CALM, "sensations": ("ache",)})
    assert r["disposition"] == "self_stretching"
    assert exercises(r) == ["Pelvic tilt", "Cat-cow", "Knees to chest"]
    assert adjustments(r) == []
    assert "adjustments" not in r["plan"]


@pytest.mark.parametrize("answer", RISKY)
def test_fragile_bones_drop_forward_bending_and_keep_extension(answer):
    r = interview({**CALM, "sensations": ("ache",), "osteoporosis_or_steroids": answer})
    assert r["disposition"] == "self_stretching"
    assert "osteoporosis_or_steroids" in asked(r)
    assert "Knees to chest" not in exercises(r) and "Cat-cow" not in exercises(r)
    assert "Back arch on all fours" in exercises(r)  # cat-cow without its rounding half
    assert "Pelvic tilt" in exercises(r)
    assert adjustments(r) == ["fragile_bones"]
    r = interview({**CALM, "location": "upper_back", "osteoporosis_or_steroids": answer})
    assert "Superman" in exercises(r)  # extension work is kept


def test_blood_thinners_no_deep_pressure():
    r = interview({**CALM, "sensations": ("tightness",), "blood_thinners": "yes"})
    assert r["disposition"] == "self_stretching" and tools(r) == []
    assert adjustments(r) == ["blood_thinners"]
    assert "press hard" in r["plan"]["adjustments"][0]["text"]


def test_hypermobility_stop_short_and_never_force():
    r = interview({**CALM, "location": "neck", "hypermobility": "unsure"})
    assert adjustments(r) == ["hypermobility"]
    assert "Never force a stretch" in r["plan"]["adjustments"][0]["text"]


@pytest.mark.parametrize("answer", RISKY)
def test_pregnancy_no_lying_on_back_or_front_and_the_all_fours_exercise(answer):
    r = interview({**CALM, "location": "upper_back", "pregnant": answer})
    assert "pregnant" in asked(r)
    assert "Superman" not in exercises(r)
    assert "Back curl on all fours" in exercises(r)
    r = interview({**CALM, "pregnant": answer})
    assert exercises(r) == ["Back curl on all fours"]  # no pelvic tilt or knees to chest
    assert adjustments(r) == ["pregnancy"]


def test_pregnancy_is_asked_only_from_12_to_55():
    for age, expected in ((11, False), (12, True), (55, True), (56, False)):
        r = interview({**CALM, "age": age, "sensations": ("ache",)})
        assert r["disposition"] in ("self_stretching", "doctor", "physical_therapist")
        if r["disposition"] == "self_stretching":
            assert ("pregnant" in asked(r)) is expected, age
    r = interview({**CALM, "age": 60, "pregnant": "yes"})  # an answer out of range is ignored
    assert "pregnancy" not in adjustments(r)


def test_pregnancy_with_fragile_bones_leaves_no_lower_back_stretch_and_says_so():
    r = interview({**CALM, "pregnant": "yes", "osteoporosis_or_steroids": "yes"})
    routine = r["plan"]["routines"]["lower_back"]
    assert routine["exercises"] == []
    assert "physical therapist" in routine["none_fit"]["text"]


def test_65_or_over_no_foam_roller_on_the_spine():
    r = interview({**CALM, "age": 70, "location": "upper_back", "sensations": ("tightness",)})
    assert "older_age" in adjustments(r)
    assert "foam_roller" not in tools(r)
    r = interview({**CALM, "age": 64, "location": "upper_back", "sensations": ("tightness",)})
    assert "older_age" not in adjustments(r)


@pytest.mark.parametrize(
    ("region", "number"), [("uk", "116 123"), ("us", "988"), ("intl", "emergency number")]
)
def test_low_mood_brings_the_regions_crisis_line(region, number):
    r = interview({**CALM, "sensations": ("ache",), "outlook": ("low_mood",)}, region=region)
    assert r["disposition"] == "self_stretching"
    [mood] = [a for a in r["plan"]["adjustments"] if a["id"] == "low_mood"]
    assert "talk to a doctor about your mood" in mood["text"] and number in mood["text"]
    assert "{" not in mood["text"]


def test_worry_with_a_physical_therapist_says_they_can_help_with_it():
    r = interview({**CALM, "severity": 7, "outlook": ("worry",)})
    assert r["disposition"] == "physical_therapist"
    assert adjustments(r) == ["outlook"]
    r = interview({**CALM, "severity": 7, "outlook": ("low_mood",)}, region="uk")
    assert adjustments(r) == ["outlook", "low_mood"]
    r = interview({**CALM, "severity": 7})
    assert adjustments(r) == []


def test_outlook_is_not_asked_under_16():
    r = interview({**CALM, "age": 15, "sensations": ("ache",)})
    assert "outlook" not in asked(r)
    record = build_result(TRIAGE.evaluate({**CALM, "age": 15, "outlook": ("low_mood",)}), RB)
    assert adjustments(record) == []


def test_no_adjustment_for_a_doctor_or_an_emergency():
    r = interview({**CALM, "fever": "yes", "osteoporosis_or_steroids": "yes"})
    assert r["disposition"] == "doctor" and adjustments(r) == []


@pytest.mark.parametrize(
    ("signs", "adjustment", "words"),
    [
        (
            ("night_second_half", "buttock_pain", "better_with_movement"),
            "ask_rheumatology",
            "rheumatologist",
        ),
        (("night_second_half", "buttock_pain"), "ask_blood_test", "HLA-B27"),
    ],
)
def test_inflammatory_back_pain_says_what_to_ask_the_doctor_for(signs, adjustment, words):
    # onset before 35 counts one sign: 4 or more, a referral; exactly 3, the blood test
    answers = {**CALM, "age": 30, "duration_weeks": 20, "inflammatory_signs": signs}
    r = interview(answers)
    assert r["disposition"] == "doctor" and adjustments(r) == [adjustment]
    assert words in r["plan"]["adjustments"][0]["text"]
    assert words in " ".join(render_details(r, RB, width=1000).split())


def test_a_warning_sign_in_pregnancy_says_contact_the_maternity_unit():
    r = interview({**CALM, "age": 30, "pregnant": "yes", "pregnancy_warning": "yes"}, "uk")
    assert r["disposition"] == "emergency"
    shown = render_summary(r, width=1000) + render_details(r, RB, width=1000)
    text = " ".join(shown.split())
    assert "maternity unit now" in text and "If you bleed a lot" in text


# --- what the person sees ----------------------------------------------------------------


def test_the_terminal_shows_the_adjusted_plan():
    r = interview({**CALM, "osteoporosis_or_steroids": "yes", "outlook": ("low_mood",)}, "uk")
    text = " ".join(render_details(r, RB, width=1000).split())
    assert "Back arch on all fours" in text and "Knees to chest" not in text
    assert "bones break more easily" in text and "116 123" in text


def test_the_web_result_page_shows_the_adjusted_plan():
    from test_web_pages import hidden_answers, submit
    from web_support import client

    answers = {**CALM, "pregnant": "yes", "location": "upper_back", "outlook": "low_mood"}
    with client(TRIAGE) as web:
        page = submit(web, {}, action="start")
        for _ in range(40):
            if 'class="decision' in page.text:
                break
            qids = dict.fromkeys(re.findall(r'name="q\.([a-z_]+)"', page.text))
            fields = {q: str(answers.get(q, "no")) for q in qids}
            if "outlook" in qids or "sensations" in qids:
                fields = {q: str(answers.get(q, "ache")) for q in qids}
            page = submit(web, hidden_answers(page.text), **fields)
            assert page.status_code == 200, page.text[:2000]
        text = page.text
    assert 'class="decision decision-self_stretching"' in text
    assert "Back curl on all fours" in text and "Superman" not in text
    assert "lying on your back or on your front" in text
    assert "harming yourself" in text


# --- no cracking advice, no barbell, anywhere ---------------------------------------------


def every_text(advice_only: bool = False) -> list[str]:
    """Every text of the rule base a person can be shown: plans, cautions, reasons and (but
    for ``advice_only``) the rules' titles and the questions, which describe, not advise."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list | tuple):
            for v in node:
                walk(v)
        elif hasattr(node, "__dataclass_fields__"):
            for name in node.__dataclass_fields__:
                walk(getattr(node, name))

    walk(RB.plans)
    for r in RB.rules:
        out += [r.reason, r.caution or ""]
    if not advice_only:
        out += [r.title for r in RB.rules]
        for q in RB.questions.values():
            out += [q.prompt, q.help, q.why, q.item, *q.labels.values()]
    return [t for t in out if t]


# A text about cracking may say that it happens (a symptom, a sound) or warn against it; it
# never says how to do it, and a sentence that tells the person to crack forbids it.
_HOW_TO = re.compile(
    r"lightly|at all|now and then|rarely|gently crack|crack\w* (it )?gently|safe(ly)? to crack",
    re.IGNORECASE,
)
_TELLS = re.compile(r"[^.!?]*\b(crack|make) (your|the|it)\b[^.!?]*", re.IGNORECASE)
_AGAINST = re.compile(r"\b(not|never|avoid|stop)\b", re.IGNORECASE)


def test_no_text_advises_cracking():
    texts = [t for t in every_text(advice_only=True) if " " in t and "crack" in t.lower()]
    assert len(texts) >= 4  # the scan sees the cracking cautions
    for text in texts:
        assert not _HOW_TO.search(text), text
        for sentence in _TELLS.finditer(text):
            if "crack" in sentence.group().lower():
                assert _AGAINST.search(sentence.group()), sentence.group()


def test_no_text_or_tool_is_a_barbell():
    assert [o.id for o in RB.plans.tools.options] == ["foam_roller", "lacrosse_ball"]
    for text in every_text():
        assert "barbell" not in text.lower(), text


def test_every_self_care_plan_says_do_not_crack_and_never_force_the_neck():
    for answers in ({**CALM, "sensations": ("ache",)}, {**CALM, "sensations": ("tightness",)}):
        r = build_result(TRIAGE.evaluate(answers), RB)
        assert r["plan"]["disposition"] in ("self_stretching", "tool_use")
        words = " ".join(c["text"] for c in r["cautions"])
        assert "Do not try to make your back or neck crack" in words
        assert "Never jerk, twist hard or force your neck" in words


def test_frequent_cracking_is_told_to_stop():
    r = interview({**CALM, "sensations": ("ache",), "frequent_cracking": "yes"})
    [caution] = [c for c in r["cautions"] if c.get("rule") == "caution-frequent-cracking"]
    assert "damage the joints" in caution["text"] and "stop cracking" in caution["text"]


# --- on random answers, nothing the answers rule out --------------------------------------


def ruled_out(answers: dict[str, Any]) -> tuple[set[str], set[str], set[str]]:
    """From the policy: the exercises and tools these answers rule out, and the adjustments
    the plan must say."""
    no_exercise: set[str] = set()
    no_tool: set[str] = set()
    must: set[str] = set()
    if answers.get("osteoporosis_or_steroids") in RISKY:  # no loaded forward bending or rolling
        no_exercise |= {"Knees to chest", "Cat-cow", "Back curl on all fours"}
        no_tool |= {"foam_roller", "lacrosse_ball"}
        must.add("fragile_bones")
    if answers.get("blood_thinners") in RISKY:  # no deep pressure
        no_tool |= {"foam_roller", "lacrosse_ball"}
        must.add("blood_thinners")
    if answers.get("hypermobility") in RISKY:
        must.add("hypermobility")
    age = answers.get("age")
    if age is not None and 12 <= age <= 55 and answers.get("pregnant") in RISKY:
        no_exercise |= {"Superman", "Pelvic tilt", "Knees to chest", "Cat-cow"}
        no_tool.add("foam_roller")
        must.add("pregnancy")
    if age is not None and age >= 65:
        no_tool.add("foam_roller")
        must.add("older_age")
    return no_exercise, no_tool, must


def check_fits(answers: dict[str, Any]) -> None:
    record = build_result(TRIAGE.evaluate(answers), RB)
    if record["plan"]["disposition"] not in ("self_stretching", "tool_use"):
        return
    no_exercise, no_tool, must = ruled_out(answers)
    assert not no_exercise & set(exercises(record)), answers
    assert not no_tool & set(tools(record)), answers
    assert must <= set(adjustments(record)), answers
    if "pregnancy" in must:  # nothing lying on the back or the front
        for r in record["plan"]["routines"].values():
            for e in r["exercises"]:
                assert not e["how"].startswith(("Lie on your back", "Lie on your front")), e
    if "low_mood" in (answers.get("outlook") or ()) and (age := answers.get("age")) and age >= 16:
        assert "low_mood" in adjustments(record)


# What the plan is fitted to, answered at random; every other yes/no question "no", so that
# most cases reach self-care (random answers to everything rarely do).
FIT = ("age", "location", "sensations", "outlook", "osteoporosis_or_steroids", "blood_thinners")
FIT += ("hypermobility", "pregnant", "frequent_cracking", "severity", "duration_weeks")


def fit_answers() -> st.SearchStrategy:
    calm = {q.id: "no" for q in QUESTIONS if q.type == "yesno"} | {"duration_weeks": 1}
    drawn = {qid: answer(RB.questions[qid]) for qid in FIT if qid in RB.questions}
    return st.fixed_dictionaries(drawn).map(lambda d: calm | d)


@given(fit_answers())
def test_a_self_care_plan_never_holds_what_the_fitted_answers_rule_out(answers):
    check_fits(answers)


@given(full_answers(QUESTIONS, calm=0.8))
def test_a_self_care_plan_never_holds_what_the_answers_rule_out(answers):
    check_fits(answers)


@given(some_answers(QUESTIONS))
def test_a_self_care_plan_never_holds_what_partial_answers_rule_out(answers):
    check_fits(answers)
