"""Cached record parts and orjson: the same records as the plain build, and none shared."""

from __future__ import annotations

import json

import orjson
import pytest
import reference_result
from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st
from strategies import full_answers, some_answers

from triage.cases import Case, iter_cases, validate_case
from triage.formats import json_bytes, json_items, json_lines, to_json
from triage.result import build_result
from triage.service import Triage

TRIAGE = Triage.load()
RB = TRIAGE.rulebase
QUESTIONS = list(RB.questions.values())
REGIONS = [None, *RB.plans.regions]
ANSWERS = st.one_of(some_answers(QUESTIONS), full_answers(QUESTIONS, calm=0.9))
CASE = st.tuples(
    ANSWERS,
    st.sampled_from(REGIONS),
    st.one_of(st.none(), st.text(max_size=5)),  # note
    st.one_of(st.none(), st.lists(st.fixed_dictionaries({"question": st.text(max_size=3)}))),
)


def both(answers, region, note, asked):
    """(cached build, plain build) of the same evaluation."""
    ev = TRIAGE.evaluate(answers)
    kw = dict(case_id="c", source="s", note=note, asked=asked, region=region)
    return build_result(ev, RB, **kw), reference_result.build_result(ev, RB, **kw)


def keys(value):
    """Every mapping's keys, in order, all the way down."""
    if isinstance(value, dict):
        return [(k, keys(v)) for k, v in value.items()]
    if isinstance(value, list | tuple):
        return [keys(v) for v in value]
    return type(value).__name__


def containers(value, found=None):
    """The ids of every dict and list in a record."""
    found = set() if found is None else found
    if isinstance(value, dict | list):
        found.add(id(value))
        for v in value.values() if isinstance(value, dict) else value:
            containers(v, found)
    return found


@given(st.lists(CASE, min_size=1, max_size=4))
def test_cached_records_are_the_plain_records(cases):
    # Several cases in a row: a part cached for one must not show up in the next.
    for answers, region, note, asked in cases:
        mine, plain = both(answers, region, note, asked)
        assert mine == plain
        assert keys(mine) == keys(plain)  # the same key order, and lists where lists were
        assert json_lines([mine]) == json_lines([plain])
        assert json.loads(to_json(mine)) == json.loads(json.dumps(plain))


@given(ANSWERS, st.sampled_from(REGIONS))
def test_two_records_share_no_list_or_dict(answers, region):
    ev = TRIAGE.evaluate(answers)
    a = build_result(ev, RB, region=region)
    b = build_result(ev, RB, region=region)
    assert a == b
    shared = containers(a) & containers(b)
    assert not shared
    # nor with the evaluation the records were built from
    assert not containers(a) & containers([ev.answers, *(f.matched for f in ev.firings)])
    assert not containers(a) & containers([f.concluded for f in ev.firings])


def _spoil(value):
    """Change every list and dict in a record, as a careless caller might."""
    if isinstance(value, dict):
        for v in list(value.values()):
            _spoil(v)
        value.clear()
        value["spoilt"] = True
    elif isinstance(value, list):
        for v in value:
            _spoil(v)
        value.clear()
        value.append("spoilt")


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize(
    "answers",
    [
        {"saddle_numbness": "yes"},  # emergency
        {"fever": "yes", "age": 40},  # doctor, with findings
        {"age": 34, "location": "lower_back", "severity": 3, "duration_weeks": 1},
        {"age": 34, "location": "neck", "severity": 2, "duration_weeks": 1, "sensations": ["ache"]},
    ],
)
def test_a_caller_changing_a_record_changes_not_the_next(answers, region):
    case = validate_case({"id": "m", "answers": answers}, RB, source="test", default_id="x")
    first = TRIAGE.result(case, region=region)
    expected = json.loads(json.dumps(first))
    _spoil(first)
    assert first == {"spoilt": True}
    again = TRIAGE.result(case, region=region)
    assert again == expected
    assert again == reference_result.build_result(
        TRIAGE.evaluate(case.answers), RB, case_id="m", source="test", region=region
    )


SURROGATE = {"id": "a\ud800b", "note": "café", "n": [1, 2.5]}


def test_a_lone_surrogate_is_escaped_and_reads_back():
    for encoded in (json_bytes(SURROGATE), to_json(SURROGATE).encode()):
        assert encoded == b'{"id":"a\\ud800b","note":"caf\\u00e9","n":[1,2.5]}'
        assert json.loads(encoded) == SURROGATE
    indented = json_bytes(SURROGATE, indent=True)
    assert json.loads(indented) == SURROGATE and indented.startswith(b'{\n  "id": "a\\ud800b"')


def test_only_the_record_with_a_surrogate_is_escaped():
    plain = {"id": "é"}
    lines = json_lines([plain, SURROGATE, plain])
    assert lines.splitlines() == [
        '{"id":"é"}'.encode(),
        b'{"id":"a\\ud800b","note":"caf\\u00e9","n":[1,2.5]}',
        '{"id":"é"}'.encode(),
    ]
    items = json_items([plain, SURROGATE])
    assert json.loads(b"[" + items + b"]") == [plain, SURROGATE]


def test_a_surrogate_in_a_real_record_reads_back():
    record = TRIAGE.result(Case("a\ud800b", "caf\udce9.yaml", {"fever": "yes"}, note="\u2013"))
    back = json.loads(json_lines([record]))
    assert back == record
    assert back["id"] == "a\ud800b" and back["source"] == "caf\udce9.yaml"


def test_records_are_compact_utf8_in_key_order():
    record = TRIAGE.result(Case("é", "s", {"fever": "yes"}))
    line = json_lines([record])
    assert line.startswith('{"id":"é","source":"s","disposition":'.encode())
    assert line.endswith(b'"triage_version":' + orjson.dumps(record["triage_version"]) + b"}\n")
    assert list(json.loads(line)) == list(record)


def test_every_corpus_case_in_every_region_gives_the_plain_record():
    files = sorted(str(p) for p in (ROOT / "cases").rglob("*.yaml"))
    cases = [c for c in iter_cases(files, RB) if isinstance(c, Case)]
    assert len(cases) > 100
    seen = set()
    for case in cases:
        ev = TRIAGE.evaluate(case.answers)
        for region in REGIONS:
            kw = dict(case_id=case.id, source=case.source, note=case.note, region=region)
            mine = build_result(ev, RB, **kw)
            assert json_lines([mine]) == json_lines([reference_result.build_result(ev, RB, **kw)])
            seen.add(mine["disposition"])
    assert seen == {o.disposition for o in RB.outcomes}
