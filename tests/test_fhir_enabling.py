"""What a whole-form filler must have answered, and when it shows a question (enableWhen), both
derived from the rules; and what a form that leaves questions blank gets."""

from __future__ import annotations

import json

from hypothesis import given, settings
from strategies import full_answers

from triage.cases import Case, CaseError, validate_case
from triage.cli import main
from triage.fhir.enabling import Gate, enable_when, required
from triage.fhir.guidance import guidance
from triage.fhir.next_question import next_question
from triage.fhir.questionnaire import questionnaire
from triage.service import Triage


def _holds(test: Gate, value) -> bool:
    """An enableWhen test on an answer, as FHIR defines it (no answer: not met)."""
    if value is None:
        return False
    if test.operator == "=":
        return test.answer in value if isinstance(value, tuple) else value == test.answer
    return {
        ">": value > test.answer,
        ">=": value >= test.answer,
        "<": value < test.answer,
        "<=": value <= test.answer,
    }[test.operator]


def shown(rb, question: str, answers: dict) -> bool:
    tests, behaviour = enable_when(rb, question)
    if not tests:
        return True
    met = [_holds(t, answers.get(t.question)) for t in tests]
    return any(met) if behaviour == "any" else all(met)


def _outcome(triage: Triage, answers: dict) -> tuple:
    record = triage.result(Case("x", "-", answers))
    return (
        record["disposition"],
        record["timeframe"],
        sorted(r["rule"] for r in record["reasons"]),
        sorted(c.get("rule") or c.get("id") for c in record["cautions"]),
    )


def _alternatives(q) -> list:
    if q.type == "yesno":
        return ["yes", "no", "unsure"]
    if q.type == "choice":
        return list(q.values)
    if q.type == "multi":
        return [(), *((v,) for v in q.values)]
    return [q.min, q.max]


TRIAGE = Triage.load()
GATED = [q for q in TRIAGE.rulebase.questions.values() if enable_when(TRIAGE.rulebase, q.id)[0]]


def test_some_questions_are_shown_only_in_some_cases():
    assert GATED, "no question has an enableWhen: the test below would test nothing"


@settings(max_examples=80)
@given(full_answers(list(TRIAGE.rulebase.questions.values()), calm=0.7))
def test_a_question_a_form_hides_cannot_change_the_outcome_or_the_advice(answers):
    rb = TRIAGE.rulebase
    for q in GATED:
        if shown(rb, q.id, answers):
            continue
        rest = {k: v for k, v in answers.items() if k != q.id}
        expected = _outcome(TRIAGE, rest)
        for value in _alternatives(q):
            assert _outcome(TRIAGE, {**rest, q.id: value}) == expected, (q.id, value)


def test_required_and_enable_when_come_from_the_rules(rules_copy):
    """A question added with a doctor rule is required, and shown only when that rule's other
    answer is given: nothing is written per question."""
    questions = rules_copy / "questions.yaml"
    text = questions.read_text()
    new_question = (
        "  - id: night_sweats\n"
        "    type: yesno\n"
        '    prompt: "Do you wake up soaked in sweat?"\n'
        '    why: "With a fever, this can mean an infection."\n\n'
    )
    questions.write_text(text.replace("questions:\n", "questions:\n" + new_question, 1))
    doctor = rules_copy / "20-doctor.yaml"
    doctor.write_text(
        doctor.read_text().replace(
            "rules:\n",
            "rules:\n"
            "  - id: sweats-with-fever\n"
            "    title: Night sweats with a fever\n"
            "    tier: doctor\n"
            "    source: [gloucestershire-cks-red-flags]\n"
            "    when:\n"
            "      - {question: fever, is: yes}\n"
            "      - {question: night_sweats, is: yes}\n"
            "    then:\n"
            "      disposition: doctor\n"
            "      timeframe: same_day\n"
            "      reason: Night sweats with a fever can mean an infection.\n\n",
            1,
        )
    )
    rb = Triage.load(rules_copy).rulebase
    assert "night_sweats" in required(rb)
    tests, behaviour = enable_when(rb, "night_sweats")
    assert {(t.question, t.operator, t.answer) for t in tests} == {
        ("fever", "=", "yes"),
        ("fever", "=", "unsure"),  # an unsure fever still fires the rule, softened
    }
    assert behaviour == "any"
    doc = json.loads(questionnaire(rb).model_dump_json())
    (item,) = [i for i in doc["item"] if i["linkId"] == "night_sweats"]
    assert item["required"] is True and len(item["enableWhen"]) == 2


def test_the_questions_that_can_lead_beyond_self_care_are_required(triage):
    rb = triage.rulebase
    must = required(rb)
    assert {"chest_symptoms", "saddle_numbness", "fever", "age", "severity"} <= must
    # Only the plan's details hang on these: blank, they can never make the result urgent.
    assert "frequent_cracking" not in must


def test_a_blank_response_gets_no_final_self_care(triage):
    blank = {"resourceType": "QuestionnaireResponse", "status": "completed"}
    case = validate_case(blank, triage.rulebase, source="form", default_id="blank")
    assert not isinstance(case, CaseError)
    record = triage.result(case)
    assert record["complete"] is False
    doc = json.loads(guidance(record).model_dump_json())
    assert doc["status"] == "data-required"
    wanted = [r["extension"][0]["valueString"] for r in doc["dataRequirement"]]
    assert wanted == record["unanswered"] and "chest_symptoms" in wanted
    assert doc["note"][0]["text"].startswith("Not complete")


def test_a_response_entered_in_error_is_refused(triage, tmp_path, runner):
    withdrawn = {"resourceType": "QuestionnaireResponse", "status": "entered-in-error"}
    case = validate_case(withdrawn, triage.rulebase, source="x", default_id="y")
    assert isinstance(case, CaseError) and case.field == "status"
    assert "entered in error" in case.message
    reply = next_question(json.dumps(withdrawn).encode(), triage)
    assert reply.status == 422
    (issue,) = json.loads(reply.body)["issue"]
    assert issue["expression"] == ["QuestionnaireResponse.status"]
    path = tmp_path / "withdrawn.fhir.json"
    path.write_text(json.dumps(withdrawn))
    result = runner.invoke(main, ["batch", "--format", "jsonl", str(path)])
    assert result.exit_code == 1 and "entered in error" in result.output


def test_none_with_other_values_keeps_the_values(triage):
    system = "https://triage.example.org/fhir/CodeSystem/back-neck-triage-answers"
    response = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": [
            {
                "linkId": "sensations",
                "answer": [
                    {"valueCoding": {"system": system, "code": "none"}},
                    {"valueCoding": {"system": system, "code": "tightness"}},
                ],
            }
        ],
    }
    case = validate_case(response, triage.rulebase, source="x", default_id="y")
    assert not isinstance(case, CaseError)
    assert case.answers["sensations"] == ("tightness",)
    only_none = json.loads(json.dumps(response))
    only_none["item"][0]["answer"].pop()
    case = validate_case(only_none, triage.rulebase, source="x", default_id="y")
    assert case.answers["sensations"] == ()
