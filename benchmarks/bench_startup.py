"""Benchmark the start-up of the `triage` command: each run a fresh process, as a person runs it.

Times `triage --version`, `triage --help`, `triage rules list` and `triage batch` on one case
file, N runs each, taking turns between the commands (other work on a shared machine only ever
slows a run down, so the minimum is the steadiest figure; the median is the typical one), and
prints the median and minimum wall time of each beside its target. `startup_figures` gives the
medians to another benchmark.

    uv run python benchmarks/bench_startup.py            # 20 runs of each
    uv run python benchmarks/bench_startup.py -n 50
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The case file `batch` reads: one case.
CASE = ROOT / "cases" / "core" / "tight-neck.yaml"
#: What is timed: a label and the arguments after `triage`.
COMMANDS: dict[str, list[str]] = {
    "--version": ["--version"],
    "--help": ["--help"],
    "rules list": ["rules", "list"],
    "batch one case": ["batch", "--jobs", "1", str(CASE)],
}
#: The targets of issue 14, in milliseconds (None: no target).
TARGETS: dict[str, float | None] = {
    "--version": 60.0,
    "--help": None,
    "rules list": None,
    "batch one case": 150.0,
}


def triage_command() -> list[str]:
    """The installed `triage` script beside this Python, as a person runs it; else
    `python -m triage`."""
    script = Path(sys.executable).parent / ("triage.exe" if os.name == "nt" else "triage")
    return [str(script)] if script.exists() else [sys.executable, "-m", "triage"]


def time_once(argv: list[str]) -> float:
    """Wall time in milliseconds of one run of ``argv`` in a new process (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


#: Timed in the same turns, for scale: Python starting and doing nothing. On a shared machine
#: it is slow when everything is, so a missed target beside a slow Python says "a slow hour".
PYTHON_ALONE = "python -c pass"


def startup_samples(runs: int) -> dict[str, list[float]]:
    """``runs`` wall times (ms) of each command (and of ``PYTHON_ALONE``), the commands taking
    turns, after one run of each that is not counted (it fills the file cache)."""
    base = triage_command()
    argvs = {label: base + args for label, args in COMMANDS.items()}
    argvs[PYTHON_ALONE] = [sys.executable, "-c", "pass"]
    samples: dict[str, list[float]] = {label: [] for label in argvs}
    for argv in argvs.values():
        time_once(argv)
    for _ in range(runs):
        for label, argv in argvs.items():
            samples[label].append(time_once(argv))
    return samples


def startup_figures(runs: int) -> dict[str, float]:
    """The median wall time (ms) of each command of ``COMMANDS`` (and of ``PYTHON_ALONE``)
    over ``runs`` runs."""
    return {label: statistics.median(s) for label, s in startup_samples(runs).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=20, help="runs of each command")
    runs = parser.parse_args().runs
    samples = startup_samples(runs)
    print(
        f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; "
        f"{' '.join(os.path.relpath(a) for a in triage_command())}; {runs} runs each"
    )
    print(f"  {'command':<16} {'median ms':>9} {'min ms':>7}  target (median)")
    for label, times in samples.items():
        target = TARGETS.get(label)
        verdict = ""
        if target is not None:
            met = statistics.median(times) < target
            verdict = f"< {target:.0f}: {'met' if met else 'missed'}"
        line = f"  {label:<16} {statistics.median(times):>9.1f} {min(times):>7.1f}  {verdict}"
        print(line.rstrip())


if __name__ == "__main__":
    main()
