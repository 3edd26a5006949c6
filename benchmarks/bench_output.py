"""Benchmark a record's output: building the result record and encoding it as JSON Lines.

The engine runs first, outside the timing: what is timed is ``build_result`` and
``json_lines`` of each evaluation, as `triage batch` and `POST /v1/evaluate` run them, over
the corpus in cases/ and over random cases (those of benchmarks/bench_batch.py). It prints
microseconds per case, the fastest of a few passes (other work on a shared machine only ever
slows a pass down). It uses nothing newer than those two functions, so it can time an older
checkout too (``PYTHONPATH=that/checkout``).

    uv run python benchmarks/bench_output.py                # corpus, and 2,000 random cases
    uv run python benchmarks/bench_output.py -n 20000 --runs 7
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import generate

import triage
from triage.cases import Case, iter_cases
from triage.formats import json_lines
from triage.result import build_result
from triage.service import Triage

ROOT = Path(__file__).resolve().parent.parent


def cases_of(paths: list[str], service: Triage) -> list[Case]:
    """The valid cases of ``paths``, in order."""
    return [c for c in iter_cases(paths, service.rulebase) if isinstance(c, Case)]


def per_case(cases: list[Case], service: Triage, runs: int) -> tuple[float, float]:
    """The fastest pass's microseconds per case: (result building, result + JSON)."""
    rb = service.rulebase
    work = [(c, service.evaluate(c.answers)) for c in cases]
    best_result = best_total = float("inf")
    clock = time.perf_counter
    for _ in range(runs):
        building = encoding = 0.0
        for c, ev in work:  # each record dropped once written, as batch does
            t0 = clock()
            record = build_result(ev, rb, case_id=c.id, source=c.source, note=c.note)
            t1 = clock()
            json_lines([record])
            t2 = clock()
            building += t1 - t0
            encoding += t2 - t1
        best_result = min(best_result, building)
        best_total = min(best_total, building + encoding)
    n = len(work)
    return best_result / n * 1e6, best_total / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--cases", type=int, default=2000, help="random cases (2000)")
    parser.add_argument("--runs", type=int, default=5, help="passes; the fastest counts (5)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random cases (1)")
    args = parser.parse_args()
    service = Triage.load()
    corpus = cases_of(sorted(str(p) for p in (ROOT / "cases").rglob("*.yaml")), service)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.jsonl"
        generate(path, args.cases, args.seed, 0.0)
        random_cases = cases_of([str(path)], service)
    print(f"triage from {Path(triage.__file__).parent}, fastest of {args.runs} passes")
    print(f"{'cases':<22} {'n':>7} {'result us/case':>15} {'+ JSON us/case':>15}")
    for name, cases in (("corpus (cases/)", corpus), ("random", random_cases)):
        result, total = per_case(cases, service, args.runs)
        print(f"{name:<22} {len(cases):>7,} {result:>15.1f} {total:>15.1f}")


if __name__ == "__main__":
    main()
