"""`triage rules`: list, show, graph, check (each lint check catches its fault), coverage, diff."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import CALM, ROOT, RUNNER

from triage.cli import main
from triage.knowledge import bundled_rules_dir
from triage.lint import CORE_QUESTIONS, lint


def run(*args: str):
    return RUNNER.invoke(main, list(args), catch_exceptions=False)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def edit_questions(rules: Path, change) -> None:
    path = rules / "questions.yaml"
    doc = yaml.safe_load(path.read_text())
    change(doc["questions"])
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))


def drop_rule(path: Path, rule_id: str) -> None:
    doc = yaml.safe_load(path.read_text())
    doc["rules"] = [r for r in doc["rules"] if r["id"] != rule_id]
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))


def add_rules(rules: Path, *entries: dict) -> None:
    (rules / "45-extra.yaml").write_text(yaml.safe_dump({"rules": list(entries)}, sort_keys=False))


@pytest.fixture()
def base_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "rules"
    shutil.copytree(bundled_rules_dir(), dest)
    return dest


# --- list, show, graph ----------------------------------------------------------------------


def test_list_shows_every_rule_with_tier_and_source(triage):
    res = run("rules", "list")
    assert res.exit_code == 0
    lines = res.output.splitlines()
    assert len(lines) == len(triage.rulebase.rules)
    for line, rule in zip(lines, triage.rulebase.rules, strict=True):
        assert line.split()[:2] == [rule.id, rule.tier]
        assert rule.title in line and ", ".join(rule.sources) in line
    rows = json.loads(run("rules", "list", "--format", "json").output)
    assert [r["id"] for r in rows] == [r.id for r in triage.rulebase.rules]


def test_show_gives_conditions_conclusion_sources_and_questions(triage):
    rb = triage.rulebase
    res = run("rules", "show", "fragility-fracture-age")
    assert res.exit_code == 0
    out = res.output
    assert "IF" in out and "minor_trauma is yes" in out and "AND age >= 65" in out
    assert "THEN emergency, now" in out
    for sid in rb.rule("fragility-fracture-age").sources:
        assert rb.sources[sid]["citation"] in out
    for q in ("minor_trauma", "age"):
        assert f"{q}: {rb.questions[q].prompt}" in out
    d = json.loads(run("rules", "show", "tools-not-advised", "--format", "json").output)
    assert "finding 'tools_contraindicated' has been concluded" in d["conditions"]
    assert [q["id"] for q in d["questions"]] == ["sensations", "location"]


def test_show_unknown_rule_suggests_a_close_one():
    res = run("rules", "show", "night-pains")
    assert res.exit_code == 2 and "did you mean night-pain" in res.output


def test_graph_mermaid_and_dot(triage, tmp_path):
    rb = triage.rulebase
    mer = run("rules", "graph").output
    assert mer.startswith("flowchart LR\n")
    for r in rb.rules:
        assert f'("{r.id}")' in mer
    assert '{{"tools_contraindicated"}}' in mer
    assert '[["emergency (now)"]]' in mer
    dot = run("rules", "graph", "--format", "dot").output
    assert dot.startswith("digraph ") and dot.rstrip().endswith("}")
    assert '"q:fever" -> "rule:infection-fever";' in dot
    assert '"rule:caution-bone-health" -> "f:tools_contraindicated";' in dot
    assert '"f:tools_contraindicated" -> "rule:tools-not-advised";' in dot
    assert '"rule:infection-fever" -> "o:doctor:same_day";' in dot
    if shutil.which("dot"):
        done = subprocess.run(
            ["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr


# --- check ------------------------------------------------------------------------------------


def test_bundled_rule_base_passes_check(triage):
    res = run("rules", "check")
    assert res.exit_code == 0, res.output
    assert res.output.startswith("ok: ") and f"{len(triage.rulebase.rules)} rules" in res.output
    assert lint().problems == []


def _unknown_question(r):
    edit(r / "20-doctor.yaml", "question: weight_loss,", "question: weightloss,")


def _unknown_value(r):
    edit(r / "10-emergency.yaml", "any_of: [numbness, weakness]", "any_of: [numb, weakness]")


def _duplicate_id(r):
    edit(r / "20-doctor.yaml", "id: night-pain", "id: weight-loss")


def _no_source(r):
    edit(r / "20-doctor.yaml", "    source: [article]\n", "")


def _unknown_source(r):
    edit(r / "20-doctor.yaml", "source: [article]", "source: [no-such-source]")


def _out_of_range(r):
    add_rules(
        r,
        {
            "id": "older-than-possible",
            "title": "t",
            "tier": "doctor",
            "source": ["policy"],
            "when": [{"question": "age", "above": 120}],
            "then": {"disposition": "doctor", "timeframe": "soon", "reason": "r"},
        },
    )


def _never_together(r):
    add_rules(
        r,
        {
            "id": "young-marker",
            "title": "t",
            "tier": "caution",
            "source": ["policy"],
            "when": [{"question": "age", "below": 16}],
            "then": {"finding": "young", "caution": "c"},
        },
        {
            "id": "young-and-old",
            "title": "t",
            "tier": "doctor",
            "source": ["policy"],
            "when": [{"question": "age", "min": 65}, {"finding": "young"}],
            "then": {"disposition": "doctor", "timeframe": "soon", "reason": "r"},
        },
    )


def _not_in_everything(r):
    add_rules(
        r,
        {
            "id": "never",
            "title": "t",
            "tier": "caution",
            "source": ["policy"],
            "when": [{"question": "fever", "not_in": ["yes", "no", "unsure"]}],
            "then": {"caution": "c"},
        },
    )


def _unreachable(r):
    for suffix in ("", "-56-to-64", "-under-12"):
        drop_rule(r / "40-self-care.yaml", "tool-tight-back-muscles" + suffix)


def _unused_question(r):
    edit_questions(
        r,
        lambda qs: qs.append(
            {"id": "favourite_colour", "type": "yesno", "prompt": "p?", "why": "w"}
        ),
    )


def _core_missing(r):
    def rename(qs):
        next(q for q in qs if q["id"] == "weight_loss")["id"] = "lost_weight"

    edit_questions(r, rename)
    for _ in range(2):  # the adults' rule and the children's
        edit(r / "20-doctor.yaml", "question: weight_loss,", "question: lost_weight,")
    edit(r / "questions.yaml", "- weight_loss\n", "- lost_weight\n")


def _core_changed(r):
    edit_questions(
        r, lambda qs: next(q for q in qs if q["id"] == "location")["values"].append("hips")
    )


def _load_only(r):
    edit(
        r / "30-physical-therapist.yaml",
        "tier: physical_therapist\n    source: [wales",
        "tier: physio\n    source: [wales",
    )


FAULTS = [
    (
        _unknown_question,
        "unknown-question",
        "rule 'child-weight-loss': field 'when[1].question'",
    ),
    (
        _unknown_value,
        "unknown-value",
        "rule 'abscess-fever-numbness-weakness': field 'when[1].any_of'",
    ),
    (_duplicate_id, "duplicate-id", "rule 'weight-loss': field 'id'"),
    (_no_source, "no-source", "rule 'pain-when-cracking': field 'source'"),
    (_unknown_source, "unknown-source", "rule 'pain-when-cracking': field 'source'"),
    (_out_of_range, "never-holds", "rule 'older-than-possible': field 'when[0]'"),
    (_never_together, "never-holds", "rule 'young-and-old': field 'when'"),
    (_not_in_everything, "never-holds", "rule 'never': field 'when[0]'"),
    (_unreachable, "unreachable-outcome", "outcome 'tool_use'"),
    (_unused_question, "unused-question", "question 'favourite_colour'"),
    (_core_missing, "core-question", "question 'weight_loss'"),
    (_core_changed, "core-question", "question 'location': field 'values'"),
    (_load_only, "load", "rule 'persistent-6-weeks': field 'tier'"),
]


@pytest.mark.parametrize(
    ("fault", "check", "where"), FAULTS, ids=[f[0].__name__.strip("_") for f in FAULTS]
)
def test_each_check_catches_its_fault(base_copy, fault, check, where):
    fault(base_copy)
    res = run("rules", "check", "--rules", str(base_copy))
    assert res.exit_code == 1, res.output
    lines = [line for line in res.output.splitlines() if line.endswith(f"[{check}]")]
    assert len(lines) == 1, res.output
    assert where in lines[0]
    assert "ok:" not in res.output


def test_every_fault_on_its_own_line(base_copy):
    _unknown_question(base_copy)
    _duplicate_id(base_copy)
    _unknown_source(base_copy)
    edit(base_copy / "30-physical-therapist.yaml", "    source: [cks-neck-pain]\n", "")
    res = run("rules", "check", "--rules", str(base_copy))
    assert res.exit_code == 1
    tags = [line.rsplit("[", 1)[1] for line in res.output.splitlines() if line.endswith("]")]
    assert sorted(tags) == ["duplicate-id]", "no-source]", "unknown-question]", "unknown-source]"]
    assert "4 problem(s)" in res.output and "skipped" in res.output


def test_check_json(base_copy):
    _unreachable(base_copy)
    res = run("rules", "check", "--rules", str(base_copy), "--format", "json")
    assert res.exit_code == 1
    problems = json.loads(res.output)["problems"]
    assert [p["check"] for p in problems] == ["unreachable-outcome"]


def test_check_on_an_unparsable_file_is_one_clear_line(base_copy):
    (base_copy / "20-doctor.yaml").write_text("rules:\n  - id: [unclosed\n")
    res = run("rules", "check", "--rules", str(base_copy))
    assert res.exit_code == 1
    assert [line for line in res.output.splitlines() if "[load]" in line] == [
        next(
            line for line in res.output.splitlines() if "20-doctor.yaml: invalid YAML: line" in line
        )
    ]


def test_core_contract_matches_the_spec():
    spec = Path("/work/shared/spec/questions.md")
    if not spec.exists():
        pytest.skip("spec not available")
    ids = [line.split("`")[1] for line in spec.read_text().splitlines() if line.startswith("| `")]
    assert sorted(ids) == sorted(CORE_QUESTIONS)


# --- coverage and diff --------------------------------------------------------------------


def write_corpus(tmp_path: Path, cases: dict[str, dict]) -> str:
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps({"id": k, "answers": v}) + "\n" for k, v in cases.items()))
    return str(path)


def test_coverage_counts_firings(tmp_path, triage):
    corpus = write_corpus(
        tmp_path,
        {
            "calm": CALM,
            "fever": {**CALM, "fever": "yes"},
            "fever2": {**CALM, "fever": "yes", "severity": 7},
        },
    )
    res = run("rules", "coverage", corpus, "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    fired = {r["id"]: r["fired"] for r in data["rules"]}
    assert data["cases"] == 3
    assert fired["infection-fever"] == 2 and fired["severe-pain-7-8"] == 1
    assert fired["no-trigger-self-stretching"] == 1
    assert "major-trauma" in data["never_fired"]
    assert set(data["never_fired"]) == {r for r, n in fired.items() if n == 0}
    text = run("rules", "coverage", corpus).output
    assert "3 case(s)" in text and "never fired" in text


def test_coverage_reports_invalid_cases(tmp_path):
    corpus = write_corpus(tmp_path, {"ok": CALM, "bad": {"severity": 42}})
    res = run("rules", "coverage", corpus)
    assert res.exit_code == 1 and "case 'bad'" in res.output and "1 case(s)" in res.output


def test_bundled_cases_fire_every_rule():
    cases = ROOT / "cases"
    if not any(cases.rglob("*.y*ml")) and not any(cases.rglob("*.json*")):
        pytest.skip("no bundled cases yet")
    res = run("rules", "coverage", str(cases), "--format", "json")
    assert json.loads(res.output)["never_fired"] == []


def test_diff_lists_changed_cases_with_the_rules_responsible(tmp_path, base_copy):
    edit(
        base_copy / "30-physical-therapist.yaml",
        "{question: severity, min: 7, max: 8}",
        "{question: severity, min: 6, max: 8}",
    )
    drop_rule(base_copy / "20-doctor.yaml", "night-pain")
    corpus = write_corpus(
        tmp_path,
        {
            "calm": CALM,
            "six": {**CALM, "severity": 6},
            "night": {**CALM, "night_pain": "yes"},
            "fever": {**CALM, "fever": "yes", "night_pain": "yes"},
        },
    )
    res = run("rules", "diff", str(base_copy), corpus, "--format", "json")
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert (
        d["cases"] == 4
        and d["rules_removed"] == ["night-pain"]
        and d["rules_changed"] == ["severe-pain-7-8"]
    )
    changed = {c["id"]: c for c in d["changed"]}
    assert set(changed) == {"six", "night"}
    six = changed["six"]
    assert (six["before"]["disposition"], six["after"]["disposition"]) == (
        "self_stretching",
        "physical_therapist",
    )
    assert {"rule": "severe-pain-7-8", "change": "now fires"} in six["rules"]
    assert six["after"]["decided_by"] == ["severe-pain-7-8"]
    night = changed["night"]
    assert (night["before"]["disposition"], night["before"]["timeframe"]) == ("doctor", "soon")
    assert night["after"]["disposition"] == "self_stretching"
    assert {"rule": "night-pain", "change": "removed"} in night["rules"]
    text = run("rules", "diff", str(base_copy), corpus).output
    assert "six: self_stretching -> physical_therapist" in text
    assert "night-pain (removed)" in text and "2 of 4 case(s) change" in text
    assert run("rules", "diff", str(base_copy), corpus, "--exit-code").exit_code == 1
    same = run("rules", "diff", str(bundled_rules_dir()), corpus, "--exit-code")
    assert same.exit_code == 0 and "0 of 4 case(s) change" in same.output


def test_diff_when_a_case_no_longer_validates(tmp_path, base_copy):
    _core_missing(base_copy)  # weight_loss renamed: a case answering it is invalid there
    corpus = write_corpus(tmp_path, {"w": {**CALM, "weight_loss": "yes"}, "calm": CALM})
    d = json.loads(run("rules", "diff", str(base_copy), corpus, "--format", "json").output)
    assert [c["id"] for c in d["changed"]] == ["w"]
    assert d["changed"][0]["after"] is None and "weight_loss" in d["changed"][0]["field"]


def test_diff_against_a_broken_rule_base(tmp_path, base_copy):
    _unknown_question(base_copy)
    corpus = write_corpus(tmp_path, {"calm": CALM})
    res = run("rules", "diff", str(base_copy), corpus)
    assert res.exit_code == 2 and "unknown question 'weightloss'" in res.output


def test_rule_show_words_a_trigger_tier_with_its_article():
    result = run("rules", "show", "unsure-emergency-sign")
    assert "an emergency trigger was met only because of 'unsure' answers" in result.output
    result = run("rules", "show", "unsure-doctor-sign")
    assert "a doctor trigger was met" in result.output
