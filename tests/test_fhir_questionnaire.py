"""The question catalogue as a FHIR Questionnaire, and its CodeSystems: valid, and one for one
with the catalogue."""

from __future__ import annotations

import json

import pytest
from fhir_checks import codes_of, valid

from triage.cli import main
from triage.fhir import canonical
from triage.fhir.codes import answer_codes, code_system
from triage.fhir.questionnaire import adaptive, questionnaire


@pytest.fixture(scope="module")
def doc(triage):
    return valid(questionnaire(triage.rulebase).model_dump_json(), triage.rulebase)


def extension(item, url):
    found = [e for e in item.get("extension", []) if e["url"] == url]
    return found[0] if found else None


def questions_of(items):
    """(question item, the group it is in) for every question item, in order."""
    out = []
    for item in items:
        if item["type"] == "group":
            out += [(child, item["linkId"]) for child in item["item"] if child["type"] != "display"]
        elif item["type"] != "display":
            out.append((item, None))
    return out


def test_identity_version_and_adaptive_marks(doc, triage):
    rb = triage.rulebase
    assert doc["id"] == rb.name
    assert doc["url"] == canonical.questionnaire_url(rb)
    assert doc["version"] == rb.version
    assert doc["meta"]["profile"] == [canonical.ADAPTIVE_SEARCH_PROFILE]
    assert extension(doc, canonical.ADAPTIVE_EXTENSION)["valueBoolean"] is True
    assert extension(doc, canonical.extension_url("rulebase-sha256"))["valueString"] == rb.sha256


def test_one_item_per_question_in_catalogue_order(doc, triage):
    rb = triage.rulebase
    found = questions_of(doc["item"])
    # A group's members stand together, where its first member stands in the catalogue
    # (a question asked on its own, such as both_legs_new, may come between them there).
    first = {}
    for q in rb.questions.values():
        if q.group:
            first[q.group] = min(first.get(q.group, q.order), q.order)
    order = sorted(
        rb.questions.values(), key=lambda q: (first[q.group] if q.group else q.order, q.order)
    )
    assert [item["linkId"] for item, _ in found] == [q.id for q in order]
    for item, group in found:
        q = rb.questions[item["linkId"]]
        assert group == (q.group or None)  # a group's member is a child of the group's item
        assert item["type"] == {"integer": "integer", "number": "decimal"}.get(q.type, "choice")
        assert item.get("repeats", False) == (q.type == "multi")
        assert item["text"] == ((q.item or q.prompt) if q.group else q.prompt)
        # One help item (LHC-Forms and most fillers show no flyover): help, then why.
        (help_item,) = item["item"]
        assert help_item["linkId"] == f"{q.id}.help" and help_item["type"] == "display"
        assert help_item["text"] == " ".join(filter(None, [q.help, f"Why we ask: {q.why}"]))
        control = help_item["extension"][0]["valueCodeableConcept"]["coding"][0]["code"]
        assert control == "help"


def test_answer_options_are_the_catalogue_values_and_codes(doc, triage):
    rb = triage.rulebase
    codes = answer_codes(rb)
    system = canonical.code_system_url(rb, "answers")
    for item, _ in questions_of(doc["item"]):
        q = rb.questions[item["linkId"]]
        if q.type in ("integer", "number"):
            kind = "valueInteger" if q.type == "integer" else "valueDecimal"
            assert extension(item, canonical.MIN_VALUE)[kind] == q.min
            assert extension(item, canonical.MAX_VALUE)[kind] == q.max
            assert "answerOption" not in item
            continue
        options = [o["valueCoding"] for o in item["answerOption"]]
        assert {o["system"] for o in options} == {system}
        expected = [codes.code(q, v) for v in q.choices] + (["none"] if q.type == "multi" else [])
        assert [o["code"] for o in options] == expected
        assert [codes.value(q, o["code"]) for o in options[: len(q.choices)]] == list(q.choices)
        if q.type == "yesno":
            assert [o["display"] for o in options] == ["Yes", "No", "Not sure"]
        if q.type == "multi":  # "none of these" excludes the rest
            last = item["answerOption"][-1]
            assert extension(last, canonical.OPTION_EXCLUSIVE)["valueBoolean"] is True


def test_groups_are_group_items_with_their_members(doc, triage):
    groups = {i["linkId"]: i for i in doc["item"] if i["type"] == "group"}
    assert list(groups) == list(triage.rulebase.groups)
    for gid, group in triage.rulebase.groups.items():
        item = groups[gid]
        assert item["text"] == group.title
        members = [c["linkId"] for c in item["item"] if c["type"] != "display"]
        assert members == list(group.members)


def test_units_are_ucum_where_ucum_has_them(doc):
    age = next(i for i, _ in questions_of(doc["item"]) if i["linkId"] == "age")
    unit = extension(age, canonical.UNIT)["valueCoding"]
    assert (unit["system"], unit["code"]) == (canonical.UCUM, "a")


def test_every_code_of_the_questionnaire_is_in_the_answers_codesystem(doc, triage):
    rb = triage.rulebase
    cs = valid(code_system(rb, "answers").model_dump_json(), rb)
    assert cs["url"] == canonical.code_system_url(rb, "answers") and cs["version"] == rb.version
    used = {
        o["valueCoding"]["code"]
        for i, _ in questions_of(doc["item"])
        for o in i.get("answerOption", [])
    }
    assert used == codes_of(rb, "answers")  # one for one: nothing unused, nothing missing
    assert {"yes", "no", "unsure", "none"} <= used
    assert cs["count"] == len(cs["concept"])


def test_codes_shared_by_two_questions_are_qualified(triage):
    from dataclasses import replace

    rb = triage.rulebase
    clash = replace(rb, sha256="clash", questions=dict(rb.questions))
    clash.questions["location"] = replace(
        rb.questions["location"], values=(*rb.questions["location"].values, "ache", "none")
    )
    codes = answer_codes(clash)
    assert codes.code(clash.questions["location"], "ache") == "location.ache"
    assert codes.code(clash.questions["sensations"], "ache") == "sensations.ache"
    assert codes.code(clash.questions["location"], "none") == "location.none"
    assert codes.code(clash.questions["location"], "neck") == "neck"


@pytest.mark.parametrize("kind", ["dispositions", "rules"])
def test_the_result_codesystems_name_every_disposition_and_rule(triage, kind):
    rb = triage.rulebase
    valid(code_system(rb, kind).model_dump_json(), rb)
    expected = (
        {o.disposition for o in rb.outcomes} if kind == "dispositions" else {r.id for r in rb.rules}
    )
    assert codes_of(rb, kind) == expected


def test_the_adaptive_questionnaire_holds_what_was_asked_and_derives_from_the_whole(triage):
    rb = triage.rulebase
    q = adaptive(rb, ["age", "fever", "location", "saddle_numbness"], required=["location"])
    doc = json.loads(q.model_dump_json())
    assert "url" not in doc and doc["derivedFrom"] == [canonical.questionnaire_canonical(rb)]
    assert doc["meta"]["profile"] == [canonical.ADAPTIVE_PROFILE]
    # in the order asked, each group's members together where it first appears
    assert [i["linkId"] for i in doc["item"]] == [
        "age",
        "warning_signs",
        "location",
        "emergency_signs",
    ]
    required = {i["linkId"] for i, _ in questions_of(doc["item"]) if i.get("required")}
    assert required == {"location"}


def test_export_commands_write_the_resources(tmp_path, triage, runner):
    out = tmp_path / "q.json"
    result = runner.invoke(main, ["export", "questionnaire", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert valid(out.read_text(), triage.rulebase) == json.loads(
        questionnaire(triage.rulebase).model_dump_json()
    )
    result = runner.invoke(main, ["export", "codesystem"])
    assert result.exit_code == 0 and json.loads(result.output)["id"] == "back-neck-triage-answers"
    result = runner.invoke(main, ["export", "codesystem", "rules"])
    assert json.loads(result.output)["id"] == "back-neck-triage-rules"


def test_export_of_a_broken_rule_base_is_one_line(rules_copy, runner):
    (rules_copy / "policy.yaml").write_text("rulebase: {}\n")
    result = runner.invoke(main, ["export", "questionnaire", "--rules", str(rules_copy)])
    assert result.exit_code == 2
    assert "policy.yaml" in result.output and "Traceback" not in result.output
