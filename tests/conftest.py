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
