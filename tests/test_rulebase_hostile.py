"""A rule base from elsewhere (``--rules DIR``) is untrusted input: whatever is wrong with it,
loading it is one line naming the file, the entry and the field (exit 2), ``rules check``
reports it, and nothing hangs, crashes or shows a traceback. A rule base that loads evaluates
every case."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT, RUNNER
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.cli import main
from triage.errors import RuleBaseError
from triage.knowledge import load_rulebase
from triage.lint import lint
from triage.service import Triage


def edit(path, old, new):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def one_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def cli(rules_copy, *args):
    return RUNNER.invoke(main, [*args, "--rules", str(rules_copy)])


def run(rules_copy, *args):
    """In a process of its own: a crash of the YAML library would take pytest down."""
    return subprocess.run(
        [sys.executable, "-m", "triage", *args, "--rules", str(rules_copy)],
        capture_output=True,
        text=True,
        timeout=120,  # a hang fails here
        cwd=ROOT,
    )


BILLION_LAUGHS = "".join(
    [f"lol0: &a0 [{', '.join(['lol'] * 9)}]\n"]
    + [f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)]
)


@pytest.mark.slow  # starts processes
@pytest.mark.parametrize(
    ("tail", "message"),
    [
        (BILLION_LAUGHS, "YAML aliases are not allowed"),
        ("deep: " + "[" * 200_000 + "]" * 200_000 + "\n", "nested more than 64 levels deep"),
        ("deep: " + "[" * 1_500 + "]" * 1_500 + "\n", "nested more than 64 levels deep"),
        ("deep:\n  " + "- " * 1_500 + "x\n", "nested more than 64 levels deep"),
    ],
    ids=["billion-laughs", "200000-deep", "1500-deep", "1500-deep-block"],
)
def test_a_hostile_plans_file_is_one_line(rules_copy, tail, message):
    with open(rules_copy / "plans.yaml", "a") as fh:
        fh.write(tail)
    result = run(rules_copy, "rules", "list")
    assert result.returncode == 2  # not 139 (a segfault), not 1 (a traceback), no hang
    (line,) = result.stderr.splitlines()
    assert "plans.yaml: invalid YAML: line " in line and line.endswith(message)
    check = run(rules_copy, "rules", "check")
    assert check.returncode == 1 and "Traceback" not in check.stderr
    assert message in check.stdout


def test_an_alias_in_a_rule_file_is_refused(rules_copy):
    edit(
        rules_copy / "10-emergency.yaml",
        "      - {question: saddle_numbness, is: yes}\n",
        "      - &c {question: saddle_numbness, is: yes}\n      - *c\n",
    )
    line = one_line(cli(rules_copy, "rules", "list"))
    assert "10-emergency.yaml: invalid YAML: line" in line and "aliases are not allowed" in line


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_a_threshold_that_is_not_finite_is_refused(rules_copy, value):
    edit(
        rules_copy / "10-emergency.yaml",
        "{question: age, min: 65}",
        f"{{question: age, min: {value}}}",
    )
    result = cli(rules_copy, "rules", "list")
    assert result.exit_code == 2
    line = one_line(result)
    assert "10-emergency.yaml: rule 'fragility-fracture-age': field 'when[1].min'" in line
    assert "expected a finite number" in line
    check = cli(rules_copy, "rules", "check")
    assert check.exit_code == 1 and "no problems" not in check.output
    assert "field 'when[1].min': expected a finite number" in check.output


def test_a_question_range_that_is_not_finite_is_refused(rules_copy):
    edit(rules_copy / "questions.yaml", "    max: 120\n", "    max: .inf\n")
    line = one_line(cli(rules_copy, "rules", "list"))
    assert "questions.yaml: question 'age': field 'max': expected a finite number" in line


# (file, text in it, what it becomes, the item and field named)
BROKEN = [
    # wrong types where a rule's conclusion is read for every case
    (
        "20-doctor.yaml",
        "    then:\n      disposition: doctor",
        "    then:\n      finding: [a]\n      disposition: doctor",
        "rule",
        "then.finding",
    ),
    (
        "40-self-care.yaml",
        "finding: tools_contraindicated",
        "finding: [tools_contraindicated]",
        "rule",
        "then.finding",
    ),
    ("40-self-care.yaml", "      caution: ", "      caution: [x] # ", "rule", "then.caution"),
    ("50-resolution.yaml", "      reason: ", "      reason: [x] # ", "rule", "then.reason"),
    (
        "50-resolution.yaml",
        "      timeframe: same_day",
        "      timeframe: [same_day]",
        "rule",
        "then.timeframe",
    ),
    (
        "10-emergency.yaml",
        "      timeframe: now",
        "      timeframe: {now: 1}",
        "rule",
        "then.timeframe",
    ),
    (
        "10-emergency.yaml",
        "      disposition: emergency",
        "      disposition: [emergency]",
        "rule",
        "then.disposition",
    ),
    # unhashable lists where a name belongs
    (
        "10-emergency.yaml",
        "{question: saddle_numbness, is: yes}",
        "{question: [saddle_numbness], is: yes}",
        "rule",
        "when[0].question",
    ),
    (
        "10-emergency.yaml",
        "source: [girft-ces-2023, nhs-back-pain-999]",
        "source: [[girft-ces-2023]]",
        "rule",
        "source",
    ),
    ("10-emergency.yaml", "tier: emergency", "tier: [emergency]", "rule", "tier"),
    (
        "50-resolution.yaml",
        "{trigger_tier: emergency}",
        "{trigger_tier: [emergency]}",
        "rule",
        "when[0].trigger_tier",
    ),
    (
        "20-doctor.yaml",
        "{question: weight_loss,",
        "{question: {weight_loss: 1},",
        "rule",
        "when[1].question",  # the first rule that reads it: child-weight-loss (age first)
    ),
    (
        "10-emergency.yaml",
        "  - id: ces-saddle-numbness",
        "  - id: [ces-saddle-numbness]",
        "rule #1",
        "id",
    ),
    ("10-emergency.yaml", "    title: Numbness", "    1: x\n    title: Numbness", "rule", "1"),
    # the other files
    ("policy.yaml", 'label: "See a doctor today"', "label: [x]", "outcome #2", "label"),
    (
        "policy.yaml",
        "timeframe: same_day, label",
        "timeframe: [same_day], label",
        "outcome #2",
        "timeframe",
    ),
    ("policy.yaml", "  version: ", "  version: [1] # ", "rulebase", "version"),
    (
        "sources.yaml",
        "    evidence: guideline\n",
        "    evidence: [guideline]\n",
        "source",
        "evidence",
    ),
    ("sources.yaml", "    url: null\n", "    url: [x]\n", "source", "url"),
    (
        "sources.yaml",
        "  - id: policy\n",
        "  - id: policy\n    cite: x\n",
        "source",
        "cite",
    ),
    ("questions.yaml", 'neck: "Neck"', "neck: [Neck]", "question 'location'", "labels"),
    (
        "questions.yaml",
        "    unit: weeks\n",
        "    unit: [weeks]\n",
        "question 'duration_weeks'",
        "unit",
    ),
    (
        "questions.yaml",
        "values: [neck, upper_back, lower_back]",
        "values: [[neck], upper_back]",
        "question 'location'",
        "values",
    ),
    (
        "questions.yaml",
        "  - id: location\n    type: choice",
        "  - id: location\n    type: [choice]",
        "question 'location'",
        "type",
    ),
    (
        "questions.yaml",
        "  - id: location\n",
        "  - id: location\n    promt: x\n",
        "question 'location'",
        "promt",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "item", "field"), BROKEN)
def test_a_wrong_type_is_one_line_naming_file_entry_and_field(
    rules_copy, file, old, new, item, field
):
    edit(rules_copy / file, old, new)
    result = cli(rules_copy, "rules", "list")
    assert result.exit_code == 2, result.output
    line = one_line(result)
    assert f"{file}: {item}" in line and f"field '{field}'" in line
    check = cli(rules_copy, "rules", "check", "--format", "json")
    assert check.exit_code == 1 and "Traceback" not in check.output
    assert f"field '{field}'" in cli(rules_copy, "rules", "check").output
    case = ROOT / "cases" / "core" / "saddle-numbness.yaml"
    for command in (["batch", str(case)], ["explain", str(case)], ["ask", "--no-input"]):
        assert one_line(cli(rules_copy, *command)) == line


def test_an_unreadable_rule_file_is_one_line(rules_copy, monkeypatch):
    import triage.knowledge

    def unreadable(path, mode="r", *args, **kwargs):  # as a file without read permission
        if str(path).endswith("20-doctor.yaml"):
            raise PermissionError(13, "Permission denied", str(path))
        return open(path, mode, *args, **kwargs)

    monkeypatch.setattr(triage.knowledge, "open", unreadable, raising=False)
    line = one_line(cli(rules_copy, "rules", "list"))
    assert line.endswith("20-doctor.yaml: cannot read: Permission denied")
    check = cli(rules_copy, "rules", "check")
    assert check.exit_code == 1 and "cannot read: Permission denied [load]" in check.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_a_rule_file_without_read_permission_is_one_line(rules_copy):
    (rules_copy / "20-doctor.yaml").chmod(0)
    line = one_line(cli(rules_copy, "rules", "list"))
    assert line.endswith("20-doctor.yaml: cannot read: Permission denied")


@pytest.mark.slow  # starts processes
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_among_the_rule_files_is_refused_not_waited_on(rules_copy):
    os.mkfifo(rules_copy / "60-more.yaml")
    result = run(rules_copy, "rules", "list")
    assert result.returncode == 2
    assert result.stderr.strip().endswith("60-more.yaml: not a regular file")


def test_a_rule_base_without_outcomes_is_one_line(rules_copy):
    text = (rules_copy / "policy.yaml").read_text()
    (rules_copy / "policy.yaml").write_text(text.split("outcomes:")[0] + "outcomes: []\n")
    line = one_line(cli(rules_copy, "rules", "list"))
    assert "policy.yaml: field 'outcomes': a rule base has at least one outcome" in line


# --- every field of every file but plans.yaml, broken at random -----------------------------

FILES = sorted(p.name for p in (ROOT / "rules").glob("*.yaml") if p.name != "plans.yaml")
HOSTILE = [["x"], [["x"]], {}, {"a": 1}, math.nan, math.inf, None, 5, -1, True, "", "x"]
CASES = [
    {"age": 30, "location": "lower_back", "severity": 3, "duration_weeks": 1},
    {"age": 70, "minor_trauma": "yes", "saddle_numbness": "unsure"},
    {"age": 40, "location": "neck", "sensations": ("tightness",), "blood_thinners": "yes"},
]


def _paths(node, here=()):
    """Every path to a value in a parsed document."""
    yield here
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*here, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*here, i))


def _replace(node, path, value):
    if not path:
        return value
    copy = dict(node) if isinstance(node, dict) else list(node)
    copy[path[0]] = _replace(node[path[0]], path[1:], value)
    return copy


@st.composite
def broken_rule_bases(draw):
    name = draw(st.sampled_from(FILES))
    doc = yaml.safe_load((ROOT / "rules" / name).read_text())
    paths = list(_paths(doc))
    path = draw(st.sampled_from(paths[1:]))
    return name, _replace(doc, path, draw(st.sampled_from(HOSTILE)))


@settings(
    max_examples=120,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(broken=broken_rule_bases())
def test_any_broken_field_is_refused_or_evaluates_every_case(rules_copy, broken):
    name, doc = broken
    (rules_copy / name).write_text(yaml.safe_dump(doc, allow_unicode=True))
    try:
        rb = load_rulebase(rules_copy)
    except RuleBaseError as exc:
        assert "\n" not in str(exc) and str(rules_copy) in str(exc)
        rb = None
    report = lint(rules_copy)  # never raises
    assert all(p.line() for p in report.problems)
    if rb is not None:
        triage = Triage(rb)
        for answers in CASES:
            triage.evaluate(answers)
            from triage.cases import Case

            triage.result(Case("c", "-", answers))
