"""`triage ask` driven through click's CliRunner with scripted input, one line per screen."""

from __future__ import annotations

import json
import re

import click
import pytest
import yaml
from conftest import ROOT, RUNNER

from triage.cli import main
from triage.service import Triage

TRIAGE = Triage.load()
FIRST = ["none", "none"]  # the two checklists of warning signs
PLACES = {"neck": "1", "upper_back": "2", "lower_back": "3"}


def screens(prefilled=None, **answers):
    """(first question id, typed line) for each screen the interview shows when answering
    ``answers`` (a checklist: the numbers of its yes members, or none), so that scripts follow
    the engine's order of screens."""
    given, out = dict(prefilled or {}), []
    while qs := TRIAGE.evaluate(given).next_questions:
        if len(qs) > 1:  # a checklist (a group with one member left is asked on its own)
            mark = {"yes": "", "unsure": "?"}
            yes = [
                f"{i}{mark[answers[q.id]]}"
                for i, q in enumerate(qs, 1)
                if answers.get(q.id) in mark
            ]
            out.append((qs[0].id, " ".join(yes) or "none"))
            given.update({q.id: answers.get(q.id, "no") for q in qs})
            continue
        q = qs[0]
        value = answers.get(q.id, () if q.type == "multi" else "no")
        given[q.id] = value
        if q.id == "location":
            line = PLACES[value]
        elif q.type == "multi":
            line = " ".join(value) or "none"
        else:
            line = str(value)
        out.append((q.id, line))
    return out


def script(**answers):
    return [line for _, line in screens(**answers)]


def calm(**changes):
    """A calm interview: lower back, 35 years, 3/10, one week, aching; then the changes."""
    base = {"location": "lower_back", "age": 35, "severity": 3, "duration_weeks": 1}
    return {**base, "sensations": ("ache",), **changes}


CALM = script(**calm())


def words(text):
    """Text with its line breaks (from wrapping) read as spaces."""
    return " ".join(text.split())


def ask(lines, *args, **kw):
    return RUNNER.invoke(main, ["ask", "--no-color", *args], input="\n".join(lines) + "\n", **kw)


def test_calm_interview_gives_a_stretching_routine():
    result = ask(CALM)
    assert result.exit_code == 0, result.output
    assert "SELF-CARE WITH A STRETCHING ROUTINE" in result.output
    assert "Pelvic tilt (30 seconds)" in result.output
    assert "Upper back stretches" not in result.output  # only the routine for the pain's place
    assert "not a diagnosis" in result.output
    assert "\x1b[" not in result.output  # no colour when asked not to


def test_the_first_screen_is_the_emergency_checklist_with_progress():
    result = ask(["quit"])
    first = result.output.split("> ")[0]
    assert "Step 1 of about" in first
    assert "Do you have any of these?" in first
    assert "1) Numb or tingling skin where a saddle would touch" in first
    assert "Where is your pain" not in first


def test_each_checklist_item_shows_its_help_as_on_the_web(triage):
    """ "Sudden falls" means legs giving way, not a fall at home: the help says so."""
    tight = calm(location="upper_back", sensations=("tightness",))
    result = ask(script(**tight))
    assert "FOAM ROLLER" in result.output  # through every checklist on the way
    shown = words(result.output)
    rb = triage.rulebase
    helped = [rb.questions[m] for g in rb.groups.values() for m in g.members]
    helped = [q for q in helped if q.help and words(q.item) in shown]
    assert len(helped) >= 6
    for q in helped:
        assert words(q.help) in shown, q.id
    assert "sudden falls or a numb face. Sudden falls means your legs give way" in shown
    assert "heavy blow. For example a car crash or a diving accident. Or a fall from more" in shown


@pytest.mark.parametrize(
    ("lines", "banner"),
    [
        (["4"], "EMERGENCY"),
        (script(**calm(), saddle_numbness="unsure"), "SEE A DOCTOR TODAY"),
        (script(**calm(severity=9)), "SEE A DOCTOR WITHIN A FEW DAYS"),
        (script(**calm(severity=8)), "BOOK A PHYSICAL THERAPIST"),
        (
            script(**calm(location="upper_back", sensations=("tightness",))),
            "FOAM ROLLER OR LACROSSE",
        ),
        (CALM, "STRETCHING ROUTINE"),
    ],
)
def test_each_disposition(lines, banner):
    result = ask(lines)
    assert result.exit_code == 0, result.output
    assert banner in result.output


def test_an_emergency_stops_the_interview_at_once_and_says_only_what_to_do_now():
    result = ask(["1", "THIS-IS-NEVER-READ"])
    assert result.exit_code == 0
    assert result.output.count("Step ") == 1
    out = result.output
    assert "EMERGENCY" in out and "Do not drive yourself" in out
    assert out.index("EMERGENCY") < out.index("What to do now")
    advice = out.split("EMERGENCY", 1)[1]  # (the checklist itself may say "in the last 2 weeks")
    for self_care in ("Warm up", "2 weeks", "stretching routine", "Stop any exercise"):
        assert self_care not in advice


def test_checklist_answers_are_echoed_in_words():
    result = ask(["2 5?", "none"])
    assert "Noted: yes to 2; not sure about 5; no to the rest." in result.output
    assert "EMERGENCY" in result.output


def test_invalid_answers_are_explained_in_the_words_on_screen_and_asked_again():
    typed = []
    for qid, line in screens(**calm()):
        typed += {"location": ["knee", "lowr back", "3"], "severity": ["eleven", line]}.get(
            qid, [line]
        )
    result = ask(typed)
    assert result.exit_code == 0, result.output
    assert "'knee' is not one of the choices" in result.output
    assert "did you mean Lower back?" in result.output
    assert "upper_back" not in result.output
    assert "please give a whole number from 0 to 10" in result.output


def test_a_checklist_refuses_a_number_that_is_not_there():
    signs = len(TRIAGE.evaluate({}).next_questions)
    result = ask([str(signs + 1), "none", *CALM[1:]])
    assert f"there is no {signs + 1}; please choose numbers from 1 to {signs}" in result.output
    assert result.exit_code == 0


def test_back_at_where_is_your_pain_asks_which_back():
    typed = [
        x
        for qid, line in screens(**calm())
        for x in (["back", line] if qid == "location" else [line])
    ]
    result = ask(typed)
    assert "do you mean Upper back (between the shoulder blades) or Lower back?" in result.output
    assert "type 'go back'" in result.output
    assert result.exit_code == 0


def test_back_returns_to_the_previous_screen_and_shows_the_earlier_answer():
    # Say 8/10, go back twice, keep the age with Enter, then say 3/10: no physical therapist.
    # (the screens: ..., age, ..., location, severity, duration: back twice from duration)
    typed = []
    for qid, line in screens(**calm()):
        if qid == "duration_weeks":
            typed += ["back", "back", "", "3", line]  # back to severity, then to location
        else:
            typed.append("8" if qid == "severity" else line)
    result = ask(typed)
    assert result.exit_code == 0, result.output
    assert result.output.count("Going back.") == 2
    assert result.output.count("Your earlier answer:") >= 2  # severity, then the place
    assert "Your earlier answer: 8. Press Enter to keep it." in result.output
    assert "SELF-CARE WITH A STRETCHING ROUTINE" in result.output


def test_durations_in_days_are_echoed_in_weeks():
    typed = [("3 days" if q == "duration_weeks" else line) for q, line in screens(**calm())]
    result = ask(typed)
    assert "That is 0.43 weeks." in result.output
    assert result.exit_code == 0


def test_why_explains_in_plain_words_without_rule_ids():
    result = ask(["why 1", "none", "quit"])
    out = result.output
    assert "Why we ask: This can mean the nerves at the base of the spine" in out
    assert "the advice could be: Emergency" in out
    assert "ces-saddle-numbness" not in out
    # Sources are for a reviewer (explain), as on the web page.
    assert "Based on" not in out and "GIRFT" not in out


def test_a_person_sees_reasons_without_sources_and_a_reviewer_with_them():
    lines = script(**calm(severity=8))
    plain = words(ask(lines).output)
    assert "BOOK A PHYSICAL THERAPIST" in plain
    assert "(Source:" not in plain and "NICE guideline NG59" not in plain
    explained = words(ask(lines, "--explain").output)
    assert "(Source:" in explained or "source: " in explained


def test_quit_leaves_without_a_result():
    result = ask(["none", "quit"])
    assert result.exit_code == 1
    assert "Why:" not in result.output


def test_end_of_input_exits_1_cleanly():
    result = ask(["none"])
    assert result.exit_code == 1, result.output
    assert "end of input" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_save_round_trips_through_batch(tmp_path, runner):
    saved = tmp_path / "me.yaml"
    answers = calm(location="upper_back", age=44, severity=5, duration_weeks=2)
    lines = script(**{**answers, "sensations": ("stiffness", "tightness")})
    result = ask(lines, "--save", str(saved))
    assert result.exit_code == 0, result.output
    case = yaml.safe_load(saved.read_text())
    assert case["expect"]["disposition"] == "tool_use"
    batch = runner.invoke(main, ["batch", "--format", "jsonl", str(saved)])
    record = json.loads(batch.stdout.splitlines()[0])
    assert (record["disposition"], record["timeframe"], record["fired"]) == (
        case["expect"]["disposition"],
        case["expect"].get("timeframe"),
        case["expect"]["fired"],
    )
    assert record["complete"] is True


def test_save_keeps_answers_given_before_end_of_input(tmp_path):
    saved = tmp_path / "partial.yaml"
    result = ask(["none", "none", "35", "n", "1"], "--save", str(saved))
    assert result.exit_code == 1
    case = yaml.safe_load(saved.read_text())
    assert case["answers"]["location"] == "neck" and case["answers"]["fever"] == "no"
    assert "expect" not in case


def test_answers_file_prefills_says_so_and_carries_on(tmp_path):
    pre = tmp_path / "pre.yaml"
    pre.write_text(
        "answers: {location: neck, severity: 2, duration_weeks: 5, "
        "sensations: [stiffness], age: 30}\n"
    )
    given = {"location": "neck", "severity": 2, "duration_weeks": 5, "age": 30}
    given["sensations"] = ("stiffness",)
    result = ask(script_lines := [line for _, line in screens(given)], "--answers", str(pre))
    assert script_lines
    assert result.exit_code == 0, result.output
    assert re.search(
        r"Loaded 5 answer\(s\) from .*pre.yaml; carrying on from step 6", result.output
    )
    assert "Step 6 of about" in result.output
    assert "Where is your pain" not in result.output
    assert "BOOK A PHYSICAL THERAPIST" in result.output  # neck pain for 5 weeks


def test_answers_file_with_several_cases_needs_case(tmp_path, runner):
    pre = tmp_path / "pre.yaml"
    pre.write_text("- {id: a, answers: {fever: yes}}\n- {id: b, answers: {chest_symptoms: yes}}\n")
    result = runner.invoke(main, ["ask", "--answers", str(pre), "--no-input"])
    assert result.exit_code == 2
    assert "holds 2 cases (a, b); choose one with --case ID" in result.output
    result = runner.invoke(main, ["ask", "--answers", str(pre), "--case", "b", "--no-input"])
    assert result.exit_code == 0 and "EMERGENCY" in result.output
    result = runner.invoke(main, ["ask", "--answers", str(pre), "--case", "c"])
    assert result.exit_code == 2 and "no case 'c'; the cases are: a, b" in result.output


def test_no_input_names_the_missing_question_and_exits_1(tmp_path, runner):
    pre = tmp_path / "pre.yaml"
    pre.write_text("answers: {location: neck}\n")
    result = runner.invoke(main, ["ask", "--no-input", "--answers", str(pre)])
    assert result.exit_code == 1  # as --help and the README say: no result
    assert "saddle_numbness" in result.output and "--answers" in result.output


def test_no_input_with_complete_answers_gives_the_result(tmp_path, runner):
    pre = tmp_path / "pre.yaml"
    pre.write_text("answers: {location: neck, saddle_numbness: yes}\n")
    result = runner.invoke(main, ["ask", "--no-input", "--answers", str(pre)])
    assert result.exit_code == 0
    assert "EMERGENCY" in result.output


def test_bad_answers_file_is_one_line(tmp_path, runner):
    pre = tmp_path / "pre.yaml"
    pre.write_text("answers: {age: 300}\n")
    result = runner.invoke(main, ["ask", "--answers", str(pre)])
    assert result.exit_code == 2
    assert "answers.age" in result.output and "Traceback" not in result.output


def test_explain_adds_the_audit_trail():
    result = ask(CALM, "--explain")
    assert "How this was decided" in result.output
    assert "no-trigger-self-stretching" in result.output
    assert "1. saddle_numbness (needed by ces-saddle-numbness)" in result.output


@pytest.mark.parametrize(
    ("region", "emergency", "doctor"),
    [
        ("uk", "Call 999", "NHS 111"),
        ("us", "Call 911", "urgent care center"),
        ("intl", "Call your local emergency number (112", "out-of-hours service"),
    ],
)
def test_the_region_picks_the_emergency_number_and_services(region, emergency, doctor):
    result = ask(["1"], "--region", region)
    assert emergency in words(result.output)
    result = ask(script(**calm(), fever="yes"), env={"TRIAGE_REGION": region})
    assert "SEE A DOCTOR TODAY" in result.output and doctor in words(result.output)


@pytest.mark.parametrize(
    ("region", "present", "absent"),
    [
        ("uk", "book NHS physio yourself", "insurer"),
        ("us", "American Physical Therapy Association", "NHS"),
    ],
)
def test_the_region_picks_how_to_find_a_physical_therapist(region, present, absent):
    result = ask(script(**calm(severity=8)), "--region", region)
    assert "BOOK A PHYSICAL THERAPIST" in result.output
    assert present in words(result.output) and absent not in result.output


def test_an_unknown_region_is_a_usage_error():
    result = ask(["none"], "--region", "mars")
    assert result.exit_code == 2
    assert "unknown region 'mars'; one of: uk, us, intl" in result.output


@pytest.mark.parametrize(
    "lines",
    [
        ["1"],
        script(**calm(), fever="yes"),
        script(**calm(severity=9)),
        script(**calm(severity=8)),
        script(**calm(location="upper_back", sensations=("tightness",))),
        CALM,
    ],
)
def test_no_internal_words_reach_the_person(triage, lines):
    out = ask(lines).output
    for internal in (".yaml", "policy.md", "shared/", "as reproduced", "not retrieved", "seed/"):
        assert internal not in out
    for words in re.findall(r"[a-z0-9_-]+", out):  # rule, question and source ids
        assert words not in {r.id for r in triage.rulebase.rules}, words
        assert "_" not in words or words not in triage.rulebase.questions, words
        assert words not in triage.rulebase.sources or words in ("policy", "article"), words


def test_advice_fits_the_outcome():
    pt = ask(script(**calm(severity=8), frequent_cracking="yes")).output  # cracks often: a PT
    assert "BOOK A PHYSICAL THERAPIST" in pt
    assert "Please stop cracking your back or neck" in pt
    assert "Warm up first" not in pt  # self-care cautions belong to self-care
    doctor = ask(script(**calm(severity=9))).output
    assert "crack" not in doctor.split("What to do")[1]
    assert "2 weeks of self-care" not in doctor


def test_save_as_json_writes_json_that_batch_reproduces(tmp_path, runner):
    saved = tmp_path / "me.json"
    result = ask(["1"], "--save", str(saved))
    assert result.exit_code == 0, result.output
    doc = json.loads(saved.read_text())
    assert doc["expect"]["disposition"] == "emergency"
    check = runner.invoke(main, ["batch", "--check", "--format", "csv", str(saved)])
    assert check.exit_code == 0, check.output


def test_the_next_step_is_said_once_in_the_terminal(triage):
    """The summary's "What to do now" is not said again in the details, for any outcome."""
    from triage.cases import iter_cases
    from triage.render import render_result
    from triage.words import next_step

    seen = set()
    for case in iter_cases([str(ROOT / "cases")], triage.rulebase):
        if not hasattr(case, "answers"):
            continue
        record = triage.result(case)
        text = click.unstyle(render_result(record, triage.rulebase, width=10**6))
        step = next_step(record["plan"])
        # (the ways to find a physical therapist are a list that reads as a whole)
        assert text.count(step) == 1 + (record["disposition"] == "physical_therapist"), case.id
        seen.add(record["disposition"])
    assert seen == {o.disposition for o in triage.rulebase.outcomes}


def neutral_case(tmp_path, triage, typed):
    """A case file answering every question but ``typed`` calmly (no, none, one week)."""
    answers = {}
    for q in triage.rulebase.questions.values():
        if q.id in typed:
            continue
        if q.type == "yesno":
            answers[q.id] = "no"
        elif q.type == "multi":
            answers[q.id] = []
        elif q.type == "choice":
            answers[q.id] = q.values[-1]
        else:
            answers[q.id] = {"age": 40, "severity": 3, "duration_weeks": 1}.get(q.id, q.min)
    path = tmp_path / "neutral.yaml"
    path.write_text(yaml.safe_dump({"id": "neutral", "answers": answers}))
    return str(path)


def test_checklist_answers_people_typed():
    out = words(ask(["0", "nonee", "quit"]).output)
    assert out.count("Noted: no to all of these.") == 2


def test_answers_people_typed_are_read_as_they_meant_them(tmp_path, triage):
    case = neutral_case(tmp_path, triage, {"location", "age", "severity", "sensations"})
    lines = ["lowr back", "yes", "forty five", "6-7", "aching, pain down my leg"]
    result = ask(lines, "--answers", case)
    out = words(result.output)
    assert result.exit_code == 0, result.output
    assert "did you mean Lower back? Type yes, or its number." in out
    assert "> yes Noted: Lower back." in out
    assert "That is 45 years." in out
    assert "That is 7: the higher of 6 and 7." in out
    assert "Noted: Aching, Pain spreading into an arm or leg." in out


def test_both_at_where_is_your_pain_asks_for_the_worst(tmp_path, triage):
    case = neutral_case(tmp_path, triage, {"location"})
    out = words(ask(["both", "the third one"], "--answers", case).output)
    assert "Sorry: please choose just one. If it is in more than one place, choose where" in out
    assert "> the third one Noted: Lower back." in out
