"""Shared fixtures: the bundled rule base, compiled once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from triage.knowledge import bundled_rules_dir
from triage.service import Triage

ROOT = Path(__file__).resolve().parent.parent

# A calm case: a mild, recent lower-back ache in an adult, with nothing else answered.
CALM = {
    "age": 34,
    "location": "lower_back",
    "severity": 3,
    "duration_weeks": 1,
    "sensations": ["ache"],
}


@pytest.fixture(scope="session")
def triage() -> Triage:
    return Triage.load()


@pytest.fixture()
def rules_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled rule base, for tests that break it."""
    dest = tmp_path / "rules"
    shutil.copytree(bundled_rules_dir(), dest)
    return dest
