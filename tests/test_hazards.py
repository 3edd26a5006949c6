"""The clinical safety case: the hazard log names only what exists, covers every emergency and
doctor rule, is rendered into docs/clinical-safety.md, and is not part of the rule base."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from triage.hazards import HAZARD_FILE, HazardLogError, load, problems
from triage.knowledge import bundled_rules_dir, load_rulebase
from triage.service import Triage

ROOT = Path(__file__).resolve().parent.parent
RULES = bundled_rules_dir()
LOG = load(RULES / HAZARD_FILE)
RB = Triage.load().rulebase  # the bundled rule base, loaded once per session


def test_every_control_exists_and_every_emergency_and_doctor_rule_is_controlled():
    assert problems(LOG, RB, ROOT) == []


def test_a_control_that_does_not_exist_is_named():
    first = LOG.hazards[0]
    broken = replace(
        first,
        rules=(*first.rules, "no-such-rule"),
        questions=(*first.questions, "no_such_question"),
        tests=(*first.tests, "tests/test_policy.py::test_no_such_test", "tests/nope.py::test_x"),
    )
    found = problems(replace(LOG, hazards=(broken, *LOG.hazards[1:])), RB, ROOT)
    assert found == [
        f"hazard '{first.id}': no rule 'no-such-rule'",
        f"hazard '{first.id}': no question 'no_such_question'",
        f"hazard '{first.id}': no test 'tests/test_policy.py::test_no_such_test'",
        f"hazard '{first.id}': no test 'tests/nope.py::test_x'",
    ]


def test_an_emergency_or_doctor_rule_that_no_hazard_controls_is_named():
    rule = next(r for r in RB.rules if r.tier == "emergency")
    hazards = tuple(
        replace(h, rules=tuple(x for x in h.rules if x != rule.id)) for h in LOG.hazards
    )
    assert problems(replace(LOG, hazards=hazards), RB, ROOT) == [
        f"rule '{rule.id}' (emergency) is no hazard's control"
    ]


def test_every_hazard_the_brief_names_is_in_the_log():
    ids = {h.id for h in LOG.hazards}
    assert {
        "missed-cauda-equina",
        "missed-mscc",
        "missed-spinal-infection",
        "missed-vascular-emergency",
        "missed-fracture",
        "missed-paediatric-pathology",
        "pregnancy-complications",
        "self-care-harm",
        "unsure-softened",
        "unanswered-shown-as-self-care",
        "mixed-patients",
        "wrong-region-number",
        "rulebase-mismatch",
    } <= ids
    for h in LOG.hazards:
        assert h.causes and (h.rules or h.tests or h.other_controls), h.id
        assert LOG.rating(*h.residual) <= LOG.rating(*h.initial), h.id


def test_the_rendered_document_is_up_to_date():
    run = subprocess.run(
        [sys.executable, "scripts/clinical_safety.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_hazard_log_is_not_part_of_the_rule_base(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    before = load_rulebase(rules)
    assert HAZARD_FILE not in before.files
    assert not any(r.file.endswith(HAZARD_FILE) for r in before.rules)
    (rules / HAZARD_FILE).write_text("not: [a hazard log", encoding="utf-8")  # even broken
    after = load_rulebase(rules)
    assert after.sha256 == before.sha256 == RB.sha256


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("hazards: [", "cannot read"),
        ("[]", "expected a mapping"),
        ("risk_matrix: {}", "field 'severities'"),
    ],
)
def test_a_broken_hazard_log_is_one_clear_line(tmp_path, text, words):
    path = tmp_path / HAZARD_FILE
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HazardLogError) as exc:
        load(path)
    assert words in str(exc.value) and str(path) in str(exc.value)
    assert "\n" not in str(exc.value)
