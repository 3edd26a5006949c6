"""How many screens an interview takes to each outcome, and that it never ends less urgent.

Generates random complete answer sets in several profiles (people with an emergency sign, with
a warning sign, calm cases, cases with "not sure" answers, and uniformly random ones), runs
each through the interview exactly as every front end does (``Evaluation.next_questions``,
one screen at a time, answering from the set), and compares the interview's outcome with the
outcome of the full answers. Prints the mean and maximum screens per outcome and per profile.

Targets (issue 11): mean screens to a self-care result <= 10, to an emergency <= 4, to any
result <= 9; no interview less urgent than its full answers.

    uv run python benchmarks/bench_interview.py            # 2,000 sets per profile
    uv run python benchmarks/bench_interview.py -n 500
"""

from __future__ import annotations

import argparse
import random
from collections import defaultdict
from collections.abc import Callable
from statistics import mean
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


def interview(triage: Triage, answers: Answers) -> tuple[Any, int]:
    """The interview answered from ``answers``: its final evaluation and the screens shown."""
    given: Answers = {}
    screens = 0
    while True:
        ev = triage.evaluate(given)
        screen = ev.next_questions
        if not screen:
            return ev, screens
        screens += 1
        for q in screen:
            given[q.id] = answers[q.id]


def outcome_name(ev: Any) -> str:
    o = ev.outcome
    return o.disposition + (f" ({o.timeframe})" if o.timeframe else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="answer sets per profile")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    triage = Triage.load()
    rng = random.Random(args.seed)
    by_outcome: dict[str, list[int]] = defaultdict(list)
    by_profile: dict[str, list[int]] = defaultdict(list)
    self_care: list[int] = []
    less_urgent = differ = 0
    for name, make in profiles(triage).items():
        for _ in range(args.n):
            answers = make(rng)
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
    print(f"{'outcome':<28} {'cases':>7} {'mean screens':>13} {'max':>4}")
    for o in sorted(by_outcome, key=lambda k: -mean(by_outcome[k])):
        v = by_outcome[o]
        print(f"{o:<28} {len(v):>7,} {mean(v):>13.2f} {max(v):>4}")
    print(f"{'profile':<28} {'cases':>7} {'mean screens':>13} {'max':>4}")
    for p, v in by_profile.items():
        print(f"{p:<28} {len(v):>7,} {mean(v):>13.2f} {max(v):>4}")
    emergency = by_outcome.get("emergency (now)", [0])
    print()
    print(
        f"targets: self-care {mean(self_care):.2f} <= 10, emergency {mean(emergency):.2f} <= 4, "
        f"any result {mean(every):.2f} <= 9"
    )
    print(f"interviews less urgent than their full answers: {less_urgent}")
    print(f"interviews with another outcome than their full answers: {differ}")


if __name__ == "__main__":
    main()
