"""A broken rule file gives one clear error naming the file, the rule and the field."""

from __future__ import annotations

import re

import pytest

from triage.cli import main
from triage.errors import RuleBaseError
from triage.knowledge import load_rulebase


def edit(path, old, new):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("file", "old", "new", "item", "field"),
    [
        (
            "20-doctor.yaml",
            "question: weight_loss,",
            "question: weightloss,",
            "rule 'child-weight-loss'",
            "when[1].question",
        ),
        (
            "20-doctor.yaml",
            "source: [article]",
            "source: [no-such-source]",
            "rule 'pain-when-cracking'",
            "source",
        ),
        ("20-doctor.yaml", "    source: [article]\n", "", "rule 'pain-when-cracking'", "source"),
        (
            "10-emergency.yaml",
            "{question: age, min: 65}",
            "{question: age, min: 650}",
            "rule 'fragility-fracture-age'",
            "when[1].min",
        ),
        (
            "10-emergency.yaml",
            "any_of: [numbness, weakness]",
            "any_of: [numb]",
            "rule 'abscess-fever-numbness-weakness'",
            "when[1].any_of",
        ),
        (
            "30-physical-therapist.yaml",
            "min: 7, max: 8",
            "min: 8, max: 7",
            "rule 'severe-pain-7-8'",
            "when[0].max",
        ),
        (
            "30-physical-therapist.yaml",
            "tier: physical_therapist\n    source: [wales",
            "tier: physio\n    source: [wales",
            "rule 'persistent-6-weeks'",
            "tier",
        ),
        ("20-doctor.yaml", "id: night-pain", "id: weight-loss", "rule 'weight-loss'", "id"),
        (
            "20-doctor.yaml",
            "      timeframe: soon\n      reason: Pain of 9",
            "      timeframe: later\n      reason: Pain of 9",
            "rule 'severe-pain-9-plus'",
            "then.disposition",
        ),
        (
            "40-self-care.yaml",
            "{question: hypermobility, answered: [no]}",
            "{question: hypermobility, is: maybe}",
            "rule 'tool-tight-back-muscles'",
            "when[5].is",
        ),
    ],
)
def test_broken_rule_file_is_named_precisely(rules_copy, file, old, new, item, field):
    edit(rules_copy / file, old, new)
    with pytest.raises(RuleBaseError) as info:
        load_rulebase(rules_copy)
    err = info.value
    assert err.file.endswith(file)
    assert err.item == item
    assert err.field == field


def test_invalid_yaml_names_the_line(rules_copy):
    (rules_copy / "20-doctor.yaml").write_text("rules:\n  - id: [unclosed\n")
    with pytest.raises(RuleBaseError, match=r"20-doctor.yaml: invalid YAML: line \d+"):
        load_rulebase(rules_copy)


def test_missing_core_file(rules_copy):
    (rules_copy / "questions.yaml").unlink()
    with pytest.raises(RuleBaseError, match=r"questions\.yaml: missing"):
        load_rulebase(rules_copy)


def test_finding_read_before_it_is_concluded(rules_copy):
    text = (rules_copy / "40-self-care.yaml").read_text()
    text = text.replace("{finding: tools_contraindicated}", "{finding: never_concluded}")
    (rules_copy / "40-self-care.yaml").write_text(text)
    with pytest.raises(RuleBaseError, match="no rule concludes finding 'never_concluded'"):
        load_rulebase(rules_copy)


def test_cli_reports_a_broken_rule_base_in_one_line(rules_copy, tmp_path, runner):
    edit(rules_copy / "20-doctor.yaml", "question: weight_loss,", "question: weightloss,")
    case = tmp_path / "c.yaml"
    case.write_text("answers: {age: 30}\n")
    result = runner.invoke(main, ["batch", "--rules", str(rules_copy), str(case)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output
    assert re.search(
        r"20-doctor.yaml: rule 'child-weight-loss': field 'when\[1\].question': unknown question",
        lines[0],
    )
