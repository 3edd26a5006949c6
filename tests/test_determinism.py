"""The same answers give the same result and fired order whatever PYTHONHASHSEED is."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT

SCRIPT = """
import json, random
from triage.service import Triage
t = Triage.load()
rng = random.Random(7)
out = []
for _ in range(150):
    a = {}
    for q in t.rulebase.questions.values():
        if rng.random() < 0.25:
            continue
        if q.type == "yesno": a[q.id] = rng.choice(["yes", "no", "no", "no", "unsure"])
        elif q.type == "choice": a[q.id] = rng.choice(q.values)
        elif q.type == "multi": a[q.id] = tuple(v for v in q.values if rng.random() < 0.2)
        else: a[q.id] = rng.randint(int(q.min), int(q.max))
    ev = t.evaluate(a)
    out.append([ev.outcome.disposition, ev.outcome.timeframe, ev.fired, ev.unanswered])
print(json.dumps(out))
"""


def run_with_seed(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.mark.slow  # starts processes
def test_fired_order_is_independent_of_hash_seed():
    outputs = {run_with_seed(seed) for seed in ("0", "1", "42", "12345")}
    assert len(outputs) == 1
