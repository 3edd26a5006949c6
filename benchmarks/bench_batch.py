"""Benchmark `triage batch` end to end: JSON Lines in, JSON Lines out with the full audit trail.

Generates N random valid cases from the bundled question catalogue, then runs the real command
in a fresh process with one worker and with the default (one per CPU), and prints cases per
second, the speed-up and the peak resident memory of any one process. Each figure is the
fastest of a few runs (other work on a shared machine only ever slows a run down). With
``--baseline DIR`` (a checkout of an earlier commit, e.g. made by ``git worktree add``), that
checkout's `triage batch` runs on the same cases in turn with this one, and the ratio is
printed. Then the same for the first sample written as one YAML list (read one case at a
time, so its memory should not grow with its length either); in this process, the engine
alone beside a plain-Python reading of the same policy (benchmarks/reference.py, checked to
agree on every case); with ``--baseline``, the engine alone against the baseline's, with the
facts, activations and firings per case behind each; and the time of each stage of the
per-case work, to show where the time goes.

    uv run python benchmarks/bench_batch.py                 # 10,000 and 1,000,000 (~15 min)
    uv run python benchmarks/bench_batch.py -n 10000        # one size
    uv run python benchmarks/bench_batch.py -n 10000 --yaml 100000   # a longer YAML list
    git worktree add /tmp/before <commit>
    uv run python benchmarks/bench_batch.py -n 10000 --baseline /tmp/before
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

import yaml

from triage.cases import iter_raw_cases, parse_raw, validate_case
from triage.formats import json_lines
from triage.knowledge import load_rulebase
from triage.result import build_result
from triage.service import Triage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference import compile_reference


def generate(path: Path, n: int, seed: int, missing: float, rules: Path | None = None) -> None:
    """Write n random valid cases; each answer is left out with probability ``missing``.

    ``rules``: another rule base's directory (a baseline's), whose own questions are asked.
    """
    questions = list(load_rulebase(rules).questions.values())
    rng = random.Random(seed)
    with path.open("w") as out:
        for i in range(n):
            answers = {}
            for q in questions:
                if rng.random() < missing:
                    continue
                if q.type == "yesno":
                    answers[q.id] = rng.choice(["no"] * 12 + ["yes", "unsure"])
                elif q.type == "choice":
                    answers[q.id] = rng.choice(q.values)
                elif q.type == "multi":
                    answers[q.id] = [v for v in q.values if rng.random() < 0.12]
                elif q.type == "integer":
                    answers[q.id] = rng.randint(int(q.min), int(q.max))
                else:
                    answers[q.id] = round(rng.uniform(q.min, min(q.max, 30)), 1)
            out.write(json.dumps({"id": f"b{i}", "answers": answers}) + "\n")


def as_yaml_list(source: Path, path: Path, n: int) -> None:
    """The first ``n`` cases of a JSON Lines file as one YAML list, in block style."""
    with source.open() as lines, path.open("w") as out:
        for line in islice(lines, n):
            out.write(yaml.safe_dump([json.loads(line)], default_flow_style=False, width=1000))


def run(path: Path, jobs: int, checkout: Path | None = None) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of one `triage batch` run in a fresh measuring process
    (of the code in ``checkout``, when given, with this environment's dependencies)."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    cmd = [
        sys.executable,
        "-m",
        "triage",
        "batch",
        "--format",
        "jsonl",
        "--jobs",
        str(jobs),
        str(path),
    ]
    env = dict(os.environ)
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout)
    # Run outside any checkout: Python puts the working directory first on the path, and
    # the package must come from PYTHONPATH (a baseline) or the installed project (this).
    out = subprocess.run(
        [sys.executable, "-c", probe, *cmd],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=path.parent,
    )
    seconds, rss_kib = out.stdout.split()
    return float(seconds), int(rss_kib) / 1024


def stages(path: Path, limit: int = 10_000) -> None:
    """Time each stage of the per-case work, in one process, on up to ``limit`` cases."""
    triage = Triage.load()
    raw = list(islice(iter_raw_cases([str(path)], parse=False), limit))
    clock = {"read": 0.0, "parse + validate": 0.0, "engine": 0.0, "result": 0.0, "JSON": 0.0}
    for item in raw:
        t0 = time.perf_counter()
        case = validate_case(parse_raw(item).raw, triage.rulebase, source="-", default_id=item.id)
        t1 = time.perf_counter()
        ev = triage.evaluate(case.answers)
        t2 = time.perf_counter()
        record = build_result(ev, triage.rulebase, case_id=case.id, source=case.source)
        t3 = time.perf_counter()
        json_lines([record])  # as the batch writer encodes it
        t4 = time.perf_counter()
        clock["parse + validate"] += t1 - t0
        clock["engine"] += t2 - t1
        clock["result"] += t3 - t2
        clock["JSON"] += t4 - t3
    t0 = time.perf_counter()
    for _ in islice(iter_raw_cases([str(path)], parse=False), limit):
        pass
    clock["read"] = time.perf_counter() - t0
    n = len(raw)
    total = sum(clock.values())
    print(f"\nwhere one case's time goes (one process, {n:,} cases, microseconds per case):")
    for stage, seconds in clock.items():
        print(f"  {stage:<17} {seconds / n * 1e6:>6.0f}  {seconds / total:>4.0%}")
    print(f"  {'total':<17} {total / n * 1e6:>6.0f}  = {n / total:,.0f} cases/s before start-up")


def engine_and_reference(path: Path, limit: int = 10_000, repeat: int = 5) -> None:
    """The engine alone and the plain-Python reference on the same answers, in turns."""
    triage = Triage.load()
    answers = []
    for item in islice(iter_raw_cases([str(path)], parse=False), limit):
        case = validate_case(parse_raw(item).raw, triage.rulebase, source="-", default_id="x")
        answers.append(case.answers)
    decide = compile_reference(triage.rulebase)
    evaluate = triage.engine.evaluate
    differ = 0
    for a in answers:  # warms both up, and checks they agree
        outcome = evaluate(a).outcome
        differ += (outcome.disposition, outcome.timeframe) != decide(a)
    best = {"engine": float("inf"), "reference": float("inf")}
    for _ in range(repeat):
        for name, function in (("engine", evaluate), ("reference", decide)):
            t0 = time.perf_counter()
            for a in answers:
                function(a)
            best[name] = min(best[name], time.perf_counter() - t0)
    n = len(answers)
    engine, reference = best["engine"] / n * 1e6, best["reference"] / n * 1e6
    print(
        f"\nthe engine alone and a plain-Python reading of the policy ({n:,} cases, best of "
        f"{repeat}):"
    )
    print(f"  engine (experta, compiled alpha network) {engine:>7.1f} us/case")
    print(
        f"  plain Python (benchmarks/reference.py)   {reference:>7.1f} us/case  "
        f"({engine / reference:.1f}x faster; disagrees on {differ} of {n:,} cases)"
    )


_ENGINE_PROBE = """
import json, sys, time
from triage.service import Triage
triage = Triage.load()
cases = [json.loads(line)["answers"] for line in open(sys.argv[1])]
multi = {q.id for q in triage.rulebase.questions.values() if q.type == "multi"}
cases = [{k: tuple(v) if k in multi else v for k, v in a.items()} for a in cases]
evaluate = triage.engine.evaluate
# One counting pass (which also warms up): the rules fired, the facts declared and the
# activations put on the agenda (some are withdrawn before they fire) per case, read from
# the engine for complete answers through its strategy, which every activation passes.
ke = triage.engine._conclude
update = ke.strategy._update_agenda
activations = facts = fired = 0
def counting(agenda, added, removed):
    global activations
    activations += len(added)
    update(agenda, added, removed)
ke.strategy._update_agenda = counting
for a in cases:
    fired += len(evaluate(a).fired)
    facts += ke.facts.last_index
del ke.strategy._update_agenda
best = float("inf")
for _ in range(int(sys.argv[2])):
    t0 = time.process_time()
    for a in cases:
        evaluate(a)
    best = min(best, time.process_time() - t0)
n = len(cases)
print(best / n * 1e6, fired / n, len(triage.rulebase.rules), facts / n, activations / n)
"""


def engine_against_baseline(path: Path, base_path: Path, baseline: Path, turns: int = 3) -> None:
    """The engine alone, this code and the baseline's, each on cases of its own catalogue, in
    turns (CPU time, best of each); per case and per rule fired, since a larger rule base
    fires more rules on the same kind of random answers; with the facts, activations and
    firings per case behind that time."""
    best: dict[str, list[float]] = {}
    for _ in range(turns):
        for name, cases, checkout in (("this", path, None), ("baseline", base_path, baseline)):
            env = dict(os.environ)
            if checkout is not None:
                env["PYTHONPATH"] = str(checkout)
            out = subprocess.run(
                [sys.executable, "-c", _ENGINE_PROBE, str(cases), "3"],
                check=True,
                capture_output=True,
                text=True,
                env=env,
                cwd=tempfile.gettempdir(),
            ).stdout.split()
            figures = [float(x) for x in out]
            if name not in best or figures[0] < best[name][0]:
                best[name] = figures
    print("\nthe engine alone against the baseline (each on random cases of its own questions):")
    for name, (us, fired, rules, facts, activations) in best.items():
        print(
            f"  {name:<9} {us:>7.1f} us/case  {fired:>5.2f} rules fired/case  "
            f"{us / fired:>5.1f} us/rule fired  ({rules:.0f} rules)"
        )
        print(
            f"  {'':<9} per case: {facts:>5.2f} facts, {activations:>5.2f} activations, "
            f"{fired:>5.2f} firings"
        )
    this, base = best["this"], best["baseline"]
    print(
        f"  this code against the baseline: {this[0] / base[0]:.2f}x per case, "
        f"{(this[0] / this[1]) / (base[0] / base[1]):.2f}x per rule fired"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "-n", "--cases", type=int, action="append", help="cases to generate (repeatable)"
    )
    parser.add_argument(
        "--missing", type=float, default=0.0, help="share of answers left out (default 0)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--yaml",
        type=int,
        default=None,
        help="cases in the YAML list timed with one worker per CPU (default: the first size)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="runs per measurement, the fastest kept (default: 3 under 100,000 cases, else 1)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="a checkout of an earlier commit: time its batch too, on the same cases",
    )
    args = parser.parse_args()
    if args.baseline:
        args.baseline = args.baseline.resolve()
        where = subprocess.run(
            [sys.executable, "-c", "import triage; print(triage.__file__)"],
            env={**os.environ, "PYTHONPATH": str(args.baseline)},
            cwd=tempfile.gettempdir(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if not Path(where).is_relative_to(args.baseline):
            parser.error(f"--baseline {args.baseline}: Python imports triage from {where}")
    cpus = os.cpu_count() or 1
    print(
        f"machine: {cpus} CPUs, Python {sys.version.split()[0]}; "
        f"answers missing: {args.missing:.0%}"
    )
    print(
        f"{'cases':>9} {'jobs':>4} {'runs':>4} {'seconds':>8} {'cases/s':>8} {'speed-up':>8} "
        f"{'peak MiB':>8}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        sizes = args.cases or [10_000, 1_000_000]
        for n in sizes:
            path = Path(tmp) / f"cases-{n}.jsonl"
            generate(path, n, args.seed, args.missing)
            # The baseline answers its own catalogue: same generator, same seed.
            base_path = Path(tmp) / f"baseline-{n}.jsonl"
            if args.baseline:
                generate(base_path, n, args.seed, args.missing, args.baseline / "rules")
            repeat = args.repeat or (3 if n < 100_000 else 1)
            # Other work on a shared machine only ever slows a run down: keep the fastest run
            # (and the highest peak memory), taking turns so that a slow spell hits both.
            keys: list[tuple[str, int]] = [("this", 1), ("this", cpus)]
            if args.baseline:
                keys += [("baseline", 1), ("baseline", cpus)]
            runs: dict[tuple[str, int], list[tuple[float, float]]] = {k: [] for k in keys}
            for _ in range(repeat):
                for code, jobs in runs:
                    if code == "baseline":
                        runs[code, jobs].append(run(base_path, jobs, args.baseline))
                    else:
                        runs[code, jobs].append(run(path, jobs))
            rates: dict[tuple[str, int], float] = {}
            for (code, jobs), results in runs.items():
                seconds = min(r[0] for r in results)
                rss = max(r[1] for r in results)
                rate = rates[code, jobs] = n / seconds
                label = f"{n:>9} {jobs:>4}" if code == "this" else f"{'baseline':>9} {jobs:>4}"
                print(
                    f"{label} {repeat:>4} {seconds:>8.1f} {rate:>8.0f} "
                    f"{rate / rates[code, 1]:>7.2f}x {rss:>8.0f}"
                )
            if args.baseline:
                one = rates["this", 1] / rates["baseline", 1]
                many = rates["this", cpus] / rates["baseline", cpus]
                print(
                    f"  this code against the baseline: {one:.2f}x with one worker, "
                    f"{many:.2f}x with {cpus}"
                )
            sys.stdout.flush()
        first = Path(tmp) / f"cases-{sizes[0]}.jsonl"
        n = args.yaml or sizes[0]
        if n > sizes[0]:
            generate(first.with_name("for-yaml.jsonl"), n, args.seed, args.missing)
        listed = Path(tmp) / f"cases-{n}.yaml"
        as_yaml_list(first if n <= sizes[0] else first.with_name("for-yaml.jsonl"), listed, n)
        repeat = args.repeat or (3 if n < 100_000 else 1)
        results = [run(listed, cpus) for _ in range(repeat)]
        seconds, rss = min(r[0] for r in results), max(r[1] for r in results)
        print("\nthe same cases as one YAML list (read one case at a time):")
        print(f"{'cases':>9} {'jobs':>4} {'runs':>4} {'seconds':>8} {'cases/s':>8} {'peak MiB':>8}")
        print(f"{n:>9} {cpus:>4} {repeat:>4} {seconds:>8.1f} {n / seconds:>8.0f} {rss:>8.0f}")
        engine_and_reference(first)
        if args.baseline:
            generate(base_path, sizes[0], args.seed, args.missing, args.baseline / "rules")
            engine_against_baseline(first, base_path, args.baseline)
        stages(first)


if __name__ == "__main__":
    main()
