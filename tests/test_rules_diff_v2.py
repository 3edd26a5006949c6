"""`triage rules diff` from rule base version 1 (tests/fixtures/rulebase-v1) to today's,
rule by rule, and on the v1 cases: what policy version 2 changes, for a clinic to review."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, RUNNER

from triage.cli import main
from triage.knowledge import bundled_rules_dir

V1_FILES = ROOT / "tests" / "fixtures" / "rulebase-v1"


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    """Version 1's rules with today's catalogue, sources and plans (a superset of v1's)."""
    root = tmp_path / "rules-v1"
    shutil.copytree(bundled_rules_dir(), root)
    for p in root.glob("[0-9][0-9]-*.yaml"):
        p.unlink()
    for p in V1_FILES.glob("*.yaml"):
        shutil.copy(p, root / p.name)
    return root


def run(*args: str):
    return RUNNER.invoke(main, list(args))


def test_the_diff_lists_each_v2_rule_change(v1):
    res = run("rules", "diff", "--rules", str(v1), str(bundled_rules_dir()), "--format", "json")
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["base"]["version"] == "2026.12.1" and d["other"]["version"] != "2026.12.1"
    rules = {c["rule"]: c for c in d["rules"]}
    assert rules["aortic-sudden-severe-pain"]["change"] == "added"
    assert rules["pregnancy-warning"]["after"]["disposition"] == "emergency"
    immune = rules["immune-risk"]
    assert immune["change"] == "changed" and "timeframe" in immune["fields"]
    assert (immune["before"]["timeframe"], immune["after"]["timeframe"]) == ("soon", "same_day")
    chest = rules["cardiac-chest-symptoms"]
    assert chest["fields"] == ["when", "reason"]  # and plainer words
    assert chest["after"]["when"] == ["chest_symptoms is one of yes, unsure"]
    assert rules["persistent-6-weeks"]["after"]["timeframe"] == "within_2_weeks"
    assert "weakness-sensation" not in rules  # unchanged rules are not listed
    assert rules["fragility-fracture-age"]["fields"] == ["reason"]  # plainer words only
    assert {c["change"] for c in d["rules"]} <= {"added", "changed", "removed"}


def test_the_text_diff_shows_conditions_before_and_after(v1):
    res = run("rules", "diff", "--rules", str(v1), str(bundled_rules_dir()))
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    i = lines.index("~ cardiac-chest-symptoms: emergency (now) (changed: when, reason)")
    assert lines[i + 1 : i + 3] == [
        "      was chest_symptoms is yes",
        "      now chest_symptoms is one of yes, unsure",
    ]
    assert any(line.startswith("+ child-cannot-walk: emergency (now): ") for line in lines)
    assert "~ immune-risk: doctor (soon) -> doctor (same_day) (changed:" in res.output


def test_the_diff_on_the_v1_cases_says_who_is_affected(v1):
    res = run(
        "rules",
        "diff",
        "--rules",
        str(v1),
        str(bundled_rules_dir()),
        str(ROOT / "cases" / "unsure"),
        "--format",
        "json",
    )
    d = json.loads(res.output)
    changed = {c["id"]: c for c in d["changed"]}
    chest = changed["unsure-chest-symptoms"]
    assert (chest["before"]["disposition"], chest["after"]["disposition"]) == (
        "doctor",
        "emergency",
    )
    assert {"rule": "unsure-emergency-sign", "change": "no longer fires"} in chest["rules"]
