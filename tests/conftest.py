"""Shared fixtures: the bundled rule base, compiled once per test session."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from strategies import PROFILE_VARIABLE  # noqa: F401  (loads the hypothesis profile)

from triage.knowledge import bundled_rules_dir
from triage.service import Triage

ROOT = Path(__file__).resolve().parent.parent

# The tests' own cache of parsed rule files (triage/rulecache.py), new for each session and
# inherited by every command they start, so no test reads or fills the user's cache.
os.environ["TRIAGE_CACHE_DIR"] = tempfile.mkdtemp(prefix="triage-test-cache-")
atexit.register(shutil.rmtree, os.environ["TRIAGE_CACHE_DIR"], True)

# A neutral locale for every test and every command they start: `triage ask` takes the region
# from the language setting (en_GB: uk), so a developer's own locale must not change results.
# Tests of that set it themselves.
for _name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
    os.environ.pop(_name, None)
os.environ["LANG"] = "C.UTF-8"

# A calm case: a mild, recent lower-back ache in an adult, with nothing else answered.
CALM = {
    "age": 34,
    "location": "lower_back",
    "severity": 3,
    "duration_weeks": 1,
    "sensations": ["ache"],
}


#: click's test runner, for helpers that run a command; tests take the ``runner`` fixture.
RUNNER = CliRunner()


@pytest.fixture(scope="session")
def triage() -> Triage:
    return Triage.load()


@pytest.fixture(scope="session")
def runner() -> CliRunner:
    """Runs a command in this process; one for the session (it keeps nothing between runs,
    and a session fixture also serves hypothesis tests)."""
    return RUNNER


@pytest.fixture()
def rules_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled rule base, for tests that break it."""
    dest = tmp_path / "rules"
    shutil.copytree(bundled_rules_dir(), dest)
    return dest


#: Property and corpus tests that take many seconds each (every case of the corpus, thousands
#: of examples, the stock engine beside the lean one): ``slow`` too, so that the developer's
#: loop (``-m "not slow"``) stays near a minute. CI runs them all. Kept here, not beside each
#: test, so the list is one place to weigh; a name that no longer matches a test is an error.
HEAVY = {
    "test_matcher.py": (
        "test_the_same_facts_are_derived_as_on_stock_experta",
        "test_partial_answers_conclude_as_on_stock_experta",
        "test_full_answers_conclude_as_on_stock_experta",
        "test_lean_matcher_after_reset_forgets_the_previous_run",
    ),
    "test_web_schema_agreement.py": ("test_the_document_and_the_server_accept_the_same_cases",),
    "test_web_schema.py": ("test_api_conforms_to_its_document",),
    "test_web_words.py": (
        "test_no_internal_words_on_the_pages_of_any_case",
        "test_no_internal_words_on_the_screens",
    ),
    "test_fhir_guidance.py": ("test_each_result_is_a_guidance_response_with_what_the_record_says",),
    "test_fhir_responses.py": (
        "test_every_corpus_case_round_trips_to_the_same_result",
        "test_a_bundle_of_the_corpus_gives_the_same_records_as_the_case_files",
        "test_a_10_mb_bundle_is_read_entry_by_entry",
    ),
    "test_fhir_cds.py": ("test_every_corpus_case_gets_its_card",),
    "test_fhir_enabling.py": (
        "test_a_question_a_form_hides_cannot_change_the_outcome_or_the_advice",
    ),
    "test_fhir_next_question.py": ("test_a_form_filler_is_taken_to_each_disposition",),
    "test_rulebase_hostile.py": ("test_any_broken_field_is_refused_or_evaluates_every_case",),
    "test_batch_scale.py": (
        "test_parallel_streaming_keeps_a_bounded_window",
        "test_stopping_early_removes_the_spool",
    ),
    "test_policy_v2.py": (
        "test_the_rules_follow_the_policy_on_calm_cases_with_a_few_signs",
        "test_the_rules_follow_the_policy_on_partial_answers",
    ),
    "test_interview.py": (
        "test_the_interview_gives_what_the_full_answers_give_in_calm_cases",
        "test_the_interview_gives_what_the_full_answers_give",
    ),
    "test_invariants.py": (
        "test_adding_a_red_flag_never_lowers_urgency",
        "test_raising_severity_never_lowers_urgency",
        "test_unsure_is_never_less_urgent_than_no",
        "test_a_combined_red_flag_never_yields_self_care",
        "test_a_red_flag_never_yields_self_care",
    ),
    "test_record_parts.py": (
        "test_cached_records_are_the_plain_records",
        "test_two_records_share_no_list_or_dict",
    ),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests of ``HEAVY`` slow; refuse a name there that no collected test has."""
    found: dict[str, set[str]] = {}
    for item in items:
        module = item.path.name
        name = getattr(item, "originalname", item.name)
        found.setdefault(module, set()).add(name)
        if name in HEAVY.get(module, ()):
            item.add_marker(pytest.mark.slow)
    chosen = any("::" in a for a in config.args) or any(
        config.getoption(o, None) for o in ("keyword", "deselect", "lf")
    )
    if chosen:  # only some tests of a module were asked for: the others are not gone
        return
    for module, names in HEAVY.items():
        gone = [n for n in names if module in found and n not in found[module]]
        if gone:
            raise pytest.UsageError(f"tests/conftest.py HEAVY names no test of {module}: {gone}")
