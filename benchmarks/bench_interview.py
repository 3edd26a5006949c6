"""How many screens an interview takes to each outcome, and that it never ends less urgent.

Generates random complete answer sets in several profiles (people with an emergency sign, with
a warning sign, calm cases, cases with "not sure" answers, and uniformly random ones), runs
each through the interview exactly as every front end does (``Evaluation.next_questions``,
one screen at a time, answering from the set), and compares the interview's outcome with the
outcome of the full answers. Prints the mean and maximum screens per outcome and per profile.

Then what an interview costs, in CPU time measured in the same run: the median step (one
evaluation of the answers so far, as a front end makes per screen), the first step, and a
whole interview, each against one evaluation of the same person's full answers.

Targets: mean screens to a self-care result <= 10, to an emergency <= 4, to any result <= 9;
no interview less urgent than its full answers; the median step <= 2x one evaluation, a whole
interview <= 12x. With ``--baseline DIR`` (a checkout of an earlier commit, e.g. made by ``git
worktree add``), the same CPU figures for that checkout's engine, on answer sets of its own
questions, are printed beside these.

    uv run python benchmarks/bench_interview.py            # 2,000 sets per profile
    uv run python benchmarks/bench_interview.py -n 500
    git worktree add /tmp/before <commit>
    uv run python benchmarks/bench_interview.py -n 300 --baseline /tmp/before
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
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from statistics import mean, median
from typing import Any

from triage.questions import Question
from triage.service import Triage

Answers = dict[str, Any]


def value(q: Question, rng: random.Random, yes: float, unsure: float) -> Any:
    """A random answer; a yes/no question is yes with ``yes``, unsure with ``unsure``."""
    if q.type == "yesno":
        x = rng.random()
        return "yes" if x < yes else "unsure" if x < yes + unsure else "no"
    if q.type == "choice":
        return rng.choice(q.values)
    if q.type == "multi":
        return tuple(v for v in q.values if rng.random() < 0.15)
    if q.type == "integer":
        return rng.randint(16, 85) if q.unit == "years" else rng.randint(int(q.min), int(q.max))
    return round(rng.choice([rng.uniform(0, 3), rng.uniform(0, 12), rng.uniform(0, 60)]), 1)


def profiles(triage: Triage) -> dict[str, Callable[[random.Random], Answers]]:
    rb = triage.rulebase
    qs = list(rb.questions.values())
    emergency = [q for q in rb.groups["emergency_signs"].members]
    warning = [q for q in rb.questions if q not in emergency and rb.questions[q].type == "yesno"]

    def base(rng: random.Random, yes: float = 0.0, unsure: float = 0.0) -> Answers:
        return {q.id: value(q, rng, yes, unsure) for q in qs}

    def with_one(rng: random.Random, choices: list[str]) -> Answers:
        answers = base(rng)
        answers[rng.choice(choices)] = "yes"
        return answers

    return {
        "emergency sign": lambda rng: with_one(rng, emergency),
        "warning sign": lambda rng: with_one(rng, warning),
        "calm": lambda rng: base(rng, yes=0.02),
        "not sure": lambda rng: base(rng, unsure=0.06),
        "random": lambda rng: base(rng, yes=0.1, unsure=0.1),
    }


def interview(triage: Triage, answers: Answers, steps: list[int] | None = None) -> tuple[Any, int]:
    """The interview answered from ``answers``: its final evaluation and the screens shown
    (``steps``: gets the CPU time of each step, in nanoseconds)."""
    given: Answers = {}
    screens = 0
    clock = time.process_time_ns
    while True:
        t0 = clock()
        ev = triage.evaluate(given)
        screen = ev.next_questions
        if steps is not None:
            steps.append(clock() - t0)
        if not screen:
            return ev, screens
        screens += 1
        for q in screen:
            given[q.id] = answers[q.id]


def cpu(triage: Triage, sets: list[Answers]) -> dict[str, float]:
    """The CPU time of interviews and of evaluations of the same full answers, in turns
    (microseconds: medians over steps, interviews and evaluations)."""
    clock = time.process_time_ns
    for answers in sets[:50]:  # warm up: every network built, code compiled
        interview(triage, answers)
        triage.evaluate(answers)
    steps: list[int] = []
    firsts: list[int] = []
    wholes: list[int] = []
    fulls: list[int] = []
    for answers in sets:
        mine: list[int] = []
        interview(triage, answers, mine)
        firsts.append(mine[0])
        steps.extend(mine)
        wholes.append(sum(mine))
        t0 = clock()
        triage.evaluate(answers)
        fulls.append(clock() - t0)
    return {
        "step": median(steps) / 1e3,
        "first": median(firsts) / 1e3,
        "interview": median(wholes) / 1e3,
        "evaluation": median(fulls) / 1e3,
        "steps": len(steps) / len(sets),
    }


def print_cpu(label: str, c: dict[str, float]) -> None:
    e = c["evaluation"]
    print(
        f"  {label:<9} step {c['step']:>7.0f} us ({c['step'] / e:4.2f}x), first step "
        f"{c['first']:>7.0f} us, interview {c['interview']:>8.0f} us ({c['interview'] / e:5.1f}x, "
        f"{c['steps']:.2f} steps); one evaluation {e:>5.0f} us"
    )


def answer_sets(triage: Triage, n: int, seed: int) -> list[tuple[str, Answers]]:
    """``n`` random complete answer sets per profile, with the profile's name."""
    rng = random.Random(seed)
    return [(name, make(rng)) for name, make in profiles(triage).items() for _ in range(n)]


def outcome_name(ev: Any) -> str:
    o = ev.outcome
    return o.disposition + (f" ({o.timeframe})" if o.timeframe else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="answer sets per profile")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--baseline", type=Path, help="an earlier checkout to compare CPU with")
    parser.add_argument("--cpu-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    triage = Triage.load()
    sets = answer_sets(triage, args.n, args.seed)
    if args.cpu_only:  # the baseline's figures, for the parent process
        print(json.dumps(cpu(triage, [a for _, a in sets])))
        return
    by_outcome: dict[str, list[int]] = defaultdict(list)
    by_profile: dict[str, list[int]] = defaultdict(list)
    self_care: list[int] = []
    less_urgent = differ = 0
    for name, answers in sets:
        ev, screens = interview(triage, answers)
        full = triage.evaluate(answers)
        less_urgent += ev.outcome.rank < full.outcome.rank
        differ += ev.outcome != full.outcome
        by_outcome[outcome_name(ev)].append(screens)
        by_profile[name].append(screens)
        if ev.outcome.self_care:
            self_care.append(screens)
    every = [s for v in by_profile.values() for s in v]
    questions = len(triage.rulebase.questions)
    print(f"{len(every):,} interviews ({args.n:,} per profile), {questions} questions in all")
    print(f"{'outcome':<36} {'cases':>7} {'mean screens':>13} {'max':>4}")
    for o in sorted(by_outcome, key=lambda k: -mean(by_outcome[k])):
        v = by_outcome[o]
        print(f"{o:<36} {len(v):>7,} {mean(v):>13.2f} {max(v):>4}")
    print(f"{'profile':<36} {'cases':>7} {'mean screens':>13} {'max':>4}")
    for p, v in by_profile.items():
        print(f"{p:<36} {len(v):>7,} {mean(v):>13.2f} {max(v):>4}")
    emergency = by_outcome.get("emergency (now)", [0])
    print()
    print(
        f"targets: self-care {mean(self_care):.2f} <= 10, emergency {mean(emergency):.2f} <= 4, "
        f"any result {mean(every):.2f} <= 9"
    )
    print(f"interviews less urgent than their full answers: {less_urgent}")
    print(f"interviews with another outcome than their full answers: {differ}")
    print()
    print("CPU time, medians (a step: one evaluation of the answers so far, as per screen):")
    this = cpu(triage, [a for _, a in sets])
    if args.baseline is not None:
        print_cpu("baseline", baseline_cpu(args.baseline, args.n, args.seed))
    print_cpu("this", this)
    e = this["evaluation"]
    print(
        f"targets: step {this['step'] / e:.2f}x <= 2x one evaluation, "
        f"interview {this['interview'] / e:.1f}x <= 12x"
    )


def baseline_cpu(checkout: Path, n: int, seed: int) -> dict[str, float]:
    """This script's CPU figures for the engine in ``checkout``, in a process of its own."""
    env = {**os.environ, "PYTHONPATH": str(checkout.resolve())}
    script = str(Path(__file__).resolve())
    out = subprocess.run(
        [sys.executable, script, "-n", str(n), "--seed", str(seed), "--cpu-only"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tempfile.gettempdir(),  # not a checkout: the package comes from PYTHONPATH
    )
    return json.loads(out.stdout)


if __name__ == "__main__":
    main()
