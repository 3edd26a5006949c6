"""One object that front ends use: a rule base, its compiled engine, and case evaluation."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, cast

from .cases import Case, CaseError, validate_case
from .engine import Evaluation, TriageEngine
from .errors import TriageError
from .knowledge import RuleBase, load_rulebase
from .result import build_result


class InvalidCase(TriageError):
    """A case that does not fit the question catalogue; ``error`` says where (case and field)."""

    def __init__(self, error: CaseError):
        self.error = error
        super().__init__(error.line())


class Triage:
    """The knowledge base and its engine, built once per process and reused for every case."""

    def __init__(self, rulebase: RuleBase):
        self.rulebase = rulebase
        self.engine = TriageEngine(rulebase)

    @classmethod
    def load(cls, rules_dir: str | Path | None = None) -> Triage:
        """Load (and cache per process) the rule base in ``rules_dir``, or the bundled one."""
        return _cached(str(Path(rules_dir).resolve()) if rules_dir else None)

    def case(self, raw: Any, *, source: str = "<python>", default_id: str = "case") -> Case:
        """Check one case (a mapping with ``answers``, as in a case file) against the
        question catalogue, so that ``evaluate`` and ``result`` get canonical answers.
        Raises ``InvalidCase`` with the first problem, as ``triage batch`` reports it."""
        checked = validate_case(raw, self.rulebase, source=source, default_id=default_id)
        if isinstance(checked, CaseError):
            raise InvalidCase(checked)
        return checked

    def evaluate(self, answers: Mapping[str, Any]) -> Evaluation:
        """Evaluate validated answers."""
        return self.engine.evaluate(answers)

    def result(
        self,
        case: Case,
        asked: list[dict[str, Any]] | None = None,
        region: str | None = None,
        evaluation: Evaluation | None = None,
    ) -> dict[str, Any]:
        """The full result record of one valid case, with the advice for ``region``
        (``evaluation``: the case's answers already evaluated, which need not run again).

        Built as a ``ResultRecord``; handed on as the plain dict it is, because its readers
        (front ends, formats, the audit log) take ``dict[str, Any]`` and add their own keys."""
        ev = evaluation if evaluation is not None else self.engine.evaluate(case.answers)
        record = build_result(
            ev,
            self.rulebase,
            case_id=case.id,
            source=case.source,
            note=case.note,
            asked=asked,
            region=region,
        )
        return cast("dict[str, Any]", record)


@cache
def _cached(rules_dir: str | None) -> Triage:
    return Triage(load_rulebase(rules_dir))


def check_expectation(case: Case, record: dict[str, Any]) -> list[dict[str, Any]]:
    """Differences between a case's ``expect`` and its result (empty when it matches)."""
    expect = case.expect or {}
    problems = []
    for key in ("disposition", "timeframe"):
        if key in expect and expect[key] != record.get(key):
            problems.append({"field": key, "expected": expect[key], "actual": record.get(key)})
    missing = [r for r in expect.get("fired", []) if r not in record.get("fired", [])]
    if missing:
        problems.append({"field": "fired", "expected": missing, "actual": record.get("fired", [])})
    return problems
