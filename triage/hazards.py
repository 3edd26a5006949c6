"""The hazard log of the clinical safety case (``rules/hazards.yaml``), checked and rendered.

It is kept next to the rules it names but is not a rule file: ``knowledge.rule_files`` leaves
it out, so it is neither loaded as rules nor part of the rule base's sha256 (see
docs/clinical-safety.md for why). Each hazard names its controls (rule ids, question ids and
pytest node ids); ``problems`` finds a control that does not exist, and an emergency or doctor
rule that is no hazard's control. The risk ratings come from the log's own matrix.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .documents import SafeLoader
from .knowledge import RuleBase

HAZARD_FILE = "hazards.yaml"
#: The tiers whose every rule must be some hazard's control: a missed one is under-triage.
GUARDED_TIERS = ("emergency", "doctor")


@dataclass(frozen=True)
class Hazard:
    """One hazard: what could go wrong, why, what prevents it, and the risk left."""

    id: str
    title: str
    harm: str
    causes: tuple[str, ...]
    rules: tuple[str, ...]
    questions: tuple[str, ...]
    tests: tuple[str, ...]
    other_controls: tuple[str, ...]
    initial: tuple[str, str]  # severity, likelihood before the controls
    residual: tuple[str, str]  # after them
    residual_text: str


@dataclass(frozen=True)
class HazardLog:
    severities: tuple[str, ...]
    likelihoods: tuple[str, ...]
    ratings: dict[str, tuple[int, ...]]  # likelihood -> rating per severity
    meanings: dict[int, str]
    hazards: tuple[Hazard, ...]

    def rating(self, severity: str, likelihood: str) -> int:
        """The risk rating (1 to 5) of a severity and likelihood, from the matrix."""
        return self.ratings[likelihood][self.severities.index(severity)]


class HazardLogError(ValueError):
    """A hazard log that does not fit its format: one line naming hazard and field."""


def load(path: Path) -> HazardLog:
    """Read and type ``path``; a fault is a ``HazardLogError`` naming the hazard and field."""
    try:
        # The stubs list PyYAML's own loaders only; ours is a safe loader (documents.py).
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)  # type: ignore[arg-type]
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise HazardLogError(f"{path}: cannot read: {first}") from None
    if not isinstance(data, dict):
        raise HazardLogError(f"{path}: expected a mapping")
    matrix = _map(path, "risk_matrix", data.get("risk_matrix"))
    severities = tuple(_names(path, "risk_matrix", matrix, "severities"))
    likelihoods = tuple(_names(path, "risk_matrix", matrix, "likelihoods"))
    raw = _map(path, "risk_matrix.ratings", matrix.get("ratings"))
    ratings: dict[str, tuple[int, ...]] = {}
    for lk in likelihoods:
        row = raw.get(lk)
        if not isinstance(row, list) or len(row) != len(severities):
            raise HazardLogError(f"{path}: risk_matrix.ratings.{lk}: one rating per severity")
        ratings[lk] = tuple(int(x) for x in row)
    meanings = {int(k): str(v) for k, v in _map(path, "meanings", matrix.get("meanings")).items()}
    hazards = []
    seen: set[str] = set()
    for i, h in enumerate(data.get("hazards") or []):
        h = _map(path, f"hazards[{i}]", h)
        hid = str(h.get("id") or "")
        where = f"hazard '{hid or i}'"
        if not hid or hid in seen:
            raise HazardLogError(f"{path}: {where}: field 'id': missing or used twice")
        seen.add(hid)
        controls = _map(path, where, h.get("controls"))
        pairs = []
        for key in ("initial", "residual"):
            risk = _map(path, f"{where}.{key}", h.get(key))
            sev, lik = risk.get("severity"), risk.get("likelihood")
            if sev not in severities or lik not in likelihoods:
                raise HazardLogError(
                    f"{path}: {where}: field '{key}': severity one of {', '.join(severities)};"
                    f" likelihood one of {', '.join(likelihoods)}"
                )
            pairs.append((sev, lik))
        hazards.append(
            Hazard(
                id=hid,
                title=_text(path, where, h, "title"),
                harm=_text(path, where, h, "harm"),
                causes=tuple(_names(path, where, h, "causes")),
                rules=tuple(_names(path, where, controls, "rules", optional=True)),
                questions=tuple(_names(path, where, controls, "questions", optional=True)),
                tests=tuple(_names(path, where, controls, "tests", optional=True)),
                other_controls=tuple(_names(path, where, controls, "other", optional=True)),
                initial=pairs[0],
                residual=pairs[1],
                residual_text=_text(path, where, h["residual"], "text"),
            )
        )
    return HazardLog(severities, likelihoods, ratings, meanings, tuple(hazards))


def _map(path: Path, where: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise HazardLogError(f"{path}: {where}: expected a mapping")
    return raw


def _text(path: Path, where: str, raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise HazardLogError(f"{path}: {where}: field '{key}': expected some text")
    return " ".join(value.split())


def _names(
    path: Path, where: str, raw: dict[str, Any], key: str, optional: bool = False
) -> list[str]:
    value = raw.get(key, [] if optional else None)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise HazardLogError(f"{path}: {where}: field '{key}': expected a list of texts")
    return [" ".join(v.split()) for v in value]


def problems(log: HazardLog, rb: RuleBase, root: Path) -> list[str]:
    """Every control that names no rule, question or test, and every emergency or doctor rule
    that is no hazard's control; ``root`` is the project (where ``tests/`` is)."""
    out: list[str] = []
    rules = {r.id for r in rb.rules}
    tests: dict[str, set[str]] = {}
    for h in log.hazards:
        out += [f"hazard '{h.id}': no rule {r!r}" for r in h.rules if r not in rules]
        out += [f"hazard '{h.id}': no question {q!r}" for q in h.questions if q not in rb.questions]
        for node in h.tests:
            file, _, name = node.partition("::")
            if file not in tests:
                tests[file] = _test_names(root / file)
            if name.split("[")[0] not in tests[file]:
                out.append(f"hazard '{h.id}': no test {node!r}")
    controlled = {r for h in log.hazards for r in h.rules}
    out += [
        f"rule '{r.id}' ({r.tier}) is no hazard's control"
        for r in rb.rules
        if r.tier in GUARDED_TIERS and r.id not in controlled
    ]
    return out


def _test_names(path: Path) -> set[str]:
    """The test functions a test file defines (none if it does not exist)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return set()
    return {
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name.startswith("test_")
    }
