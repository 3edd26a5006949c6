"""The golden file: every evaluation, fired order, unanswered list and result record stays
byte-identical through changes made for speed or structure (scripts/golden.py wrote it)."""

from __future__ import annotations

import importlib.util
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from triage.service import Triage

ROOT = Path(__file__).resolve().parent.parent


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("golden", ROOT / "scripts" / "golden.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


golden = _generator()
EXPECTED = [json.loads(line) for line in golden.GOLDEN.read_text().splitlines()]


def _compare(triage: Triage, expected: dict) -> list[str]:
    """The fields of one entry that differ now (empty when it is the same)."""
    case = None
    if expected["label"].startswith("case:"):
        case = next(c for label, c in _cases(triage) if label == expected["label"])
    actual = json.loads(
        json.dumps(golden.entry(triage, expected["label"], expected["answers"], case))
    )
    return [k for k in expected if actual.get(k) != expected[k]]


_CASES: dict[int, list] = {}


def _cases(triage: Triage) -> list:
    key = id(triage)
    if key not in _CASES:
        _CASES[key] = list(golden.case_entries(triage))
    return _CASES[key]


def test_the_golden_file_covers_what_it_says() -> None:
    labels = [e["label"] for e in EXPECTED]
    assert len(labels) == len(set(labels))
    kinds = {label.split("-")[0].split(":")[0] for label in labels}
    assert kinds == {"empty", "random", "interview", "case"}
    outcomes = {tuple(e["outcome"]) for e in EXPECTED}
    assert len(outcomes) >= 6  # every tier, not only red flags
    assert sum(bool(e["unanswered"]) for e in EXPECTED) > 300
    assert sum(len(e["firings"]) > 8 for e in EXPECTED) > 50


def test_every_evaluation_is_the_same_as_the_golden_file() -> None:
    triage = Triage.load()
    differ = {}
    for expected in EXPECTED:
        fields = _compare(triage, expected)
        if fields:
            differ[expected["label"]] = fields
    assert not differ, (
        f"{len(differ)} of {len(EXPECTED)} evaluations changed, e.g. "
        f"{dict(list(differ.items())[:5])}; if the change is meant (a rule base change), "
        "run `uv run python scripts/golden.py` and review the diff"
    )


def test_the_same_in_threads_at_once() -> None:
    """Each thread its own engine: evaluations interleaved across threads stay golden."""
    triage = Triage.load()
    sample = [e for e in EXPECTED if not e["label"].startswith("case:")][::3]
    problems: list[str] = []
    barrier = threading.Barrier(4)

    def work(offset: int) -> None:
        barrier.wait()
        for expected in sample[offset:] + sample[:offset]:
            if _compare(triage, expected):
                problems.append(expected["label"])

    threads = [threading.Thread(target=work, args=(i * 37,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not problems


@pytest.mark.parametrize("seed", ["0", "4242"])
def test_the_golden_file_is_the_same_whatever_the_hash_seed(seed: str) -> None:
    import os
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "golden.py"), "--check"],
        env={**os.environ, "PYTHONHASHSEED": seed},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
