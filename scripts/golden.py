"""Write (or check) the golden file of evaluations: what the engine concludes, asks and
records for a fixed set of answer sets, so that a change made for speed or structure can be
shown to change nothing a person, a clinic or a reviewer sees.

The answer sets are drawn once, from a fixed seed, and stored with their results in
tests/fixtures/golden/evaluations.jsonl: complete random cases (many red flags and unsure
answers, as `bench_batch.py` draws them), partial ones, every step of simulated interviews,
and the bundled case files. tests/test_golden.py evaluates each again and compares.

    uv run python scripts/golden.py            # rewrite the file (review the diff!)
    uv run python scripts/golden.py --check    # exit 1 when any evaluation differs

Rewrite it only for a change that is meant to alter results (a rule base change), and say in
docs/changes.md what it changes for a person.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from triage.cases import Case, iter_cases
from triage.formats import json_bytes
from triage.questions import Question
from triage.service import Triage

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "fixtures" / "golden" / "evaluations.jsonl"
SEED = 20261208


def _value(q: Question, rng: random.Random, yes: float, unsure: float) -> Any:
    """A random answer. Like bench_interview.py's, but kept here: a change to a benchmark's
    draws must not change the answer sets that a rewrite of the golden file stores."""
    if q.type == "yesno":
        r = rng.random()
        return "yes" if r < yes else "unsure" if r < yes + unsure else "no"
    if q.type == "choice":
        return rng.choice(q.values)
    if q.type == "multi":
        return [v for v in q.values if rng.random() < 0.15]
    if q.type == "integer":
        return rng.randint(int(q.min), int(q.max))
    return round(rng.uniform(q.min, min(q.max, 30)), 1)


def answer_sets(triage: Triage) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, raw answers) of every entry, in a fixed order."""
    rng = random.Random(SEED)
    questions = sorted(triage.rulebase.questions.values(), key=lambda q: q.order)
    yield "empty", {}
    for i, (yes, unsure, missing) in enumerate(
        [(0.07, 0.07, 0.0)] * 100
        + [(0.02, 0.0, 0.0)] * 50
        + [(0.1, 0.1, 0.3)] * 50
        + [(0.05, 0.05, 0.7)] * 30
    ):
        answers = {q.id: _value(q, rng, yes, unsure) for q in questions if rng.random() >= missing}
        yield f"random-{i}", answers
    for i in range(40):  # the screens of simulated interviews, each step's answers so far
        yes, unsure = rng.choice([(0.0, 0.0), (0.02, 0.0), (0.0, 0.06), (0.1, 0.1)])
        full = {q.id: _value(q, rng, yes, unsure) for q in questions}
        given: dict[str, Any] = {}
        for step in range(40):
            yield f"interview-{i}-{step}", dict(given)
            ev = triage.evaluate(_typed(triage, given))
            screen = ev.next_questions
            if not screen:
                break
            for q in screen:
                given[q.id] = full[q.id]


def _typed(triage: Triage, raw: dict[str, Any]) -> dict[str, Any]:
    """Answers as the engine takes them (a multi-choice answer as a tuple)."""
    qs = triage.rulebase.questions
    return {k: tuple(v) if qs[k].type == "multi" else v for k, v in raw.items()}


def entry(triage: Triage, label: str, raw: dict[str, Any], case: Case | None = None) -> dict:
    """One line of the golden file: the answers, the evaluation in full, and a digest of the
    result record."""
    answers = case.answers if case is not None else _typed(triage, raw)
    ev = triage.evaluate(answers)
    record = triage.result(case or Case(id=label, answers=answers, source="golden"), evaluation=ev)
    return {
        "label": label,
        "answers": raw,
        "outcome": [ev.outcome.disposition, ev.outcome.timeframe],
        "firings": [
            [f.rule.id, f.matched, list(f.unsure), f.concluded, f.softens] for f in ev.firings
        ],
        "verdicts": [[v.rule, v.outcome.disposition, v.via, list(v.unsure)] for v in ev.verdicts],
        # which rules need each question, in the engine's order (in full in `explain`)
        "needs_sha256": _digest(ev.needs),
        "need_rank": ev.need_rank,
        "unanswered": ev.unanswered,
        "next": [q.id for q in ev.next_questions],
        "progress": [ev.progress.done, ev.progress.left],
        "record_sha256": hashlib.sha256(json_bytes(record)).hexdigest(),
    }


def _digest(doc: Any) -> str:
    return hashlib.sha256(json_bytes(doc)).hexdigest()


def case_entries(triage: Triage) -> Iterator[tuple[str, Case]]:
    """(label, case) of every bundled case file's case, its source relative to the checkout."""
    for item in iter_cases([str(ROOT / "cases")], triage.rulebase):
        if isinstance(item, Case):
            source = Path(item.source).resolve().relative_to(ROOT).as_posix()
            yield f"case:{source}:{item.id}", Case(item.id, source, item.answers, item.note)


def entries(triage: Triage) -> Iterator[dict]:
    for label, raw in answer_sets(triage):
        yield entry(triage, label, raw)
    for label, case in case_entries(triage):
        yield entry(triage, label, {}, case)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    triage = Triage.load()
    lines = [json.dumps(e, sort_keys=True, ensure_ascii=False) for e in entries(triage)]
    text = "\n".join(lines) + "\n"
    if args.check:
        same = GOLDEN.read_text() == text
        print("golden file matches" if same else "golden file differs", file=sys.stderr)
        return 0 if same else 1
    GOLDEN.write_text(text)
    print(f"{len(lines)} entries written to {GOLDEN.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
