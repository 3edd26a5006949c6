"""A QuestionnaireResponse as a case, both ways: the whole corpus round-trips, and bad input
gets one error record naming the file, the case and the field, as a bad case file does."""

from __future__ import annotations

import copy
import json
import os
import time

import pytest
from conftest import ROOT, RUNNER
from fhir_checks import valid

from triage.cases import Case, CaseError, iter_cases, validate_case
from triage.cli import main
from triage.fhir import canonical
from triage.fhir.responses import response

RESULT_FIELDS = ("disposition", "timeframe", "fired", "unanswered", "complete")


@pytest.fixture(scope="module")
def corpus(triage):
    cases = list(iter_cases([str(ROOT / "cases")], triage.rulebase))
    assert cases and all(isinstance(c, Case) for c in cases)
    return cases


def as_json(triage, case):
    return response(triage.rulebase, case.answers, case_id=case.id).model_dump_json()


def test_every_corpus_case_round_trips_to_the_same_result(triage, corpus):
    rb = triage.rulebase
    for case in corpus:
        doc = valid(as_json(triage, case), rb)
        back = validate_case(doc, rb, source="qr.json", default_id="qr")
        assert isinstance(back, Case), back
        assert (back.id, back.answers) == (case.id, case.answers)
        before, after = triage.result(case), triage.result(back)
        assert {k: after[k] for k in RESULT_FIELDS} == {k: before[k] for k in RESULT_FIELDS}


def bundle(resources, kind="collection"):
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [{"resource": r} for r in resources],
    }


def batch(args, cwd=None):
    """``triage batch`` in-process, in ``cwd`` if given."""
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return RUNNER.invoke(main, ["batch", *args], catch_exceptions=False)
    finally:
        os.chdir(old)


def records(output):
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_a_bundle_of_the_corpus_gives_the_same_records_as_the_case_files(tmp_path, triage, corpus):
    path = tmp_path / "corpus.json"
    path.write_text(json.dumps(bundle([json.loads(as_json(triage, c)) for c in corpus])))
    result = batch(["--format", "jsonl", "--jobs", "1", str(path)])
    assert result.exit_code == 0, result.output
    got = records(result.output)
    assert len(got) == len(corpus)
    for case, record in zip(corpus, got, strict=True):
        expected = triage.result(case)
        assert record["id"] == case.id and record["source"] == str(path)
        assert {k: record[k] for k in RESULT_FIELDS} == {k: expected[k] for k in RESULT_FIELDS}


def a_response(triage, **answers):
    return json.loads(response(triage.rulebase, answers, case_id="r1").model_dump_json())


def find(items, link):
    for item in items:
        if item["linkId"] == link:
            return item
        found = find(item.get("item", []), link)
        if found:
            return found
    return None


def broken(triage):
    """(what is wrong, the response, the field and message of its error)."""
    base = a_response(triage, age=40, fever="no", sensations=("ache",))
    out = []

    def case(name, change, field, message):
        doc = copy.deepcopy(base)
        change(doc)
        doc["id"] = name
        out.append((name, doc, field, message))

    case(
        "wrong-type",
        lambda d: d.update(resourceType="Patient"),
        "resourceType",
        "expected QuestionnaireResponse, got 'Patient'",
    )
    case(
        "unknown-link",
        lambda d: find(d["item"], "age").update(linkId="agee"),
        "answers.agee",
        "unknown linkId 'agee': no question or group of back-neck-triage",
    )
    case(
        "wrong-value-type",
        lambda d: find(d["item"], "age").update(answer=[{"valueString": "40"}]),
        "answers.age",
        "expected valueInteger (a whole number from 0 to 120), got valueString",
    )
    case(
        "string-number",  # the library would read "40" as 40; a case file refuses it
        lambda d: find(d["item"], "age").update(answer=[{"valueInteger": "40"}]),
        "answers.age",
        "expected a whole number from 0 to 120, got '40'",
    )
    case(
        "out-of-range",
        lambda d: find(d["item"], "age").update(answer=[{"valueInteger": 200}]),
        "answers.age",
        "200 is out of range: a whole number from 0 to 120",
    )
    case(
        "unknown-code",
        lambda d: find(d["item"], "fever")["answer"][0]["valueCoding"].update(code="maybe"),
        "answers.fever",
        "expected yes, no or unsure, got 'maybe'",
    )
    case(
        "other-system",
        lambda d: find(d["item"], "fever")["answer"][0]["valueCoding"].update(system="http://x"),
        "answers.fever",
        f"expected a code of {canonical.code_system_url('back-neck-triage', 'answers')}, "
        "got system 'http://x'",
    )
    case(
        "two-answers",
        lambda d: find(d["item"], "fever")["answer"].append({"valueCoding": {"code": "no"}}),
        "answers.fever",
        "expected one answer, got 2",
    )
    case(
        "twice",
        lambda d: d["item"].append(copy.deepcopy(find(d["item"], "age"))),
        "answers.age",
        "linkId 'age' appears twice",
    )

    def regroup(d):
        fever = find(d["item"], "fever")
        d["item"] = [i for i in d["item"] if i["linkId"] != "warning_signs"]
        d["item"].append({"linkId": "emergency_signs", "item": [fever]})

    case(
        "wrong-group",
        regroup,
        "answers.fever",
        "'fever' belongs in group 'warning_signs', not 'emergency_signs'",
    )
    case(
        "bad-status",
        lambda d: d.update(status="done"),
        "status",
        "expected one of in-progress, completed, amended, entered-in-error, stopped, got 'done'",
    )
    case(
        "no-status",
        lambda d: d.pop("status"),
        "status",
        "Value for the field 'status' is required.",
    )
    case(
        "extra-field", lambda d: d.update(colour="red"), "colour", "Extra inputs are not permitted"
    )
    case(
        "other-questionnaire",
        lambda d: d.update(questionnaire="http://example.org/Questionnaire/phq9"),
        "questionnaire",
        # the URL is spelt out; the version is the rule base's, whichever it is
        "expected https://triage.example.org/fhir/Questionnaire/back-neck-triage"
        f"|{triage.rulebase.version}, got 'http://example.org/Questionnaire/phq9'",
    )
    return out


def test_each_fault_is_one_error_record_naming_file_case_and_field(tmp_path, triage):
    cases = broken(triage)
    good = a_response(triage, age=40, chest_symptoms="yes")
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(bundle([good] + [doc for _, doc, _, _ in cases])))
    result = batch(["--format", "jsonl", str(path)])
    assert result.exit_code == 1
    got = records(result.output)
    assert len(got) == 1 + len(cases)  # one record per entry, in order
    assert got[0]["disposition"] == "emergency"
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    for (name, _, field, message), record, line in zip(cases, got[1:], errors, strict=True):
        assert record["id"] == name and record["source"] == str(path)
        assert record["error"]["field"] == field, name
        if message is not None:
            assert record["error"]["message"] == message, name
        assert line == f"error: {path}: case '{name}': {field}: {record['error']['message']}"


def test_a_bad_answer_gets_the_message_a_case_file_gets(tmp_path, triage):
    doc = a_response(triage, age=40)
    find(doc["item"], "age")["answer"] = [{"valueInteger": 200}]
    (tmp_path / "r.json").write_text(json.dumps(doc))
    (tmp_path / "c.json").write_text(json.dumps({"id": "r1", "answers": {"age": 200}}))
    result = batch(["--format", "csv", "r.json", "c.json"], tmp_path)
    lines = [
        line.split(": ", 2)[2] for line in result.output.splitlines() if line.startswith("error:")
    ]
    assert len(lines) == 2 and lines[0] == lines[1]


def test_bundle_level_faults_are_one_error_for_the_file(tmp_path):
    docs = {
        "empty.json": {"resourceType": "Bundle", "type": "collection"},
        "notype.json": {"resourceType": "Bundle", "entry": []},
        "noresource.json": {"resourceType": "Bundle", "type": "collection", "entry": [{}]},
    }
    for name, doc in docs.items():
        (tmp_path / name).write_text(json.dumps(doc))
    result = batch(["--format", "csv", *docs], tmp_path)
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: empty.json: case 'empty': empty Bundle: no case",
        "error: notype.json: case 'notype': type: Value for the field 'type' is required.",
        "error: noresource.json: case 'noresource[1]': entry[0].resource: a Bundle entry "
        "holds its QuestionnaireResponse in 'resource'",
    ]


def test_a_10_mb_bundle_is_read_entry_by_entry(tmp_path, triage):
    """Each entry is validated on its own: every case gets its record, and the time and memory
    go with one response at a time, not with the whole Bundle."""
    # a plain mild case that v2 answers in full (self-stretching, no worry)
    plain = ROOT / "cases" / "v2" / "age-49-upper-back.yaml"
    (case,) = iter_cases([str(plain)], triage.rulebase)
    entry = json.loads(response(triage.rulebase, case.answers).model_dump_json())
    assert triage.result(case)["complete"]  # (an incomplete case costs the engine 20x more)
    one = len(json.dumps(entry))
    count = 10 * 2**20 // one + 1
    path = tmp_path / "big.json"
    path.write_text(json.dumps(bundle([entry] * count)))
    assert path.stat().st_size > 10 * 2**20
    result = batch(["--format", "csv", "--jobs", "1", str(path)])
    assert result.exit_code == 0
    rows = result.output.splitlines()[1:]
    assert len(rows) == count and rows[-1].startswith(f"big[{count}],")


def test_one_huge_response_is_refused_before_it_is_validated(tmp_path, triage):
    doc = a_response(triage, age=40)
    doc["item"] += [{"linkId": f"x{i}"} for i in range(30_000)]
    (tmp_path / "huge.json").write_text(json.dumps(doc))
    started = time.perf_counter()
    result = batch(["--format", "csv", "huge.json"], tmp_path)
    assert time.perf_counter() - started < 30  # (not a speed target: it must not hang)
    assert (
        "huge.json: case 'r1': too large: over 20,000 JSON values in one resource" in result.output
    )


def test_a_response_in_json_lines_is_a_case_too(triage, runner):
    line = json.dumps(a_response(triage, age=40, tearing_pain="yes")) + "\n"
    result = runner.invoke(main, ["batch", "--format", "csv", "-"], input=line)
    assert result.exit_code == 0
    assert result.output.splitlines()[1].startswith("r1,-,emergency,now,")


def test_a_response_without_id_is_named_by_its_file(tmp_path, triage):
    doc = a_response(triage, age=40)
    doc.pop("id")
    (tmp_path / "visit-3.json").write_text(json.dumps(doc))
    result = batch(["--format", "csv", "visit-3.json"], tmp_path)
    assert result.output.splitlines()[1].startswith("visit-3,visit-3.json,")


def test_ask_saves_a_response_that_batch_and_ask_read_back(tmp_path, triage, runner):
    saved = tmp_path / "visit.fhir.json"
    # v2's screens: emergency signs, warning signs, age, pregnant, location (lower back),
    # worst pain, how long, feel, a few more questions (the rolling risks among them), outlook
    typed = "none\nnone\n52\nn\n3\n7\n10 days\nradiating\nnone\nnone\n"
    run = runner.invoke(main, ["ask", "--no-pager", "--save", str(saved)], input=typed)
    assert run.exit_code == 0, run.output
    doc = valid(saved.read_text(), triage.rulebase)
    assert doc["resourceType"] == "QuestionnaireResponse" and doc["status"] == "completed"
    assert doc["id"] == "visit.fhir"
    again = batch(["--format", "jsonl", str(saved)])
    (record,) = records(again.output)
    assert record["disposition"] == "physical_therapist" and record["complete"] is True
    replay = runner.invoke(main, ["ask", "--no-pager", "--no-input", "--answers", str(saved)])
    assert replay.exit_code == 0 and "BOOK A PHYSICAL THERAPIST" in replay.output


def test_ask_saves_an_unfinished_interview_in_progress(tmp_path, triage, runner):
    saved = tmp_path / "left.fhir.json"
    run = runner.invoke(main, ["ask", "--save", str(saved)], input="none\nquit\n")
    assert run.exit_code == 1
    doc = valid(saved.read_text(), triage.rulebase)
    assert doc["status"] == "in-progress"
    assert [i["linkId"] for i in doc["item"]] == ["emergency_signs"]


def test_a_case_file_and_its_response_are_the_same_case(triage):
    path = ROOT / "cases" / "core" / "unsure-saddle.yaml"
    (case,) = iter_cases([str(path)], triage.rulebase)
    back = validate_case(
        json.loads(as_json(triage, case)), triage.rulebase, source="x", default_id="y"
    )
    assert not isinstance(back, CaseError)
    assert back.raw_answers == {
        q: list(v) if isinstance(v, tuple) else v for q, v in case.answers.items()
    }
