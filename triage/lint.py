"""Inspecting the knowledge base: lint it, draw it, measure its coverage, diff two versions.

``load_rulebase`` refuses a broken rule base at its first fault, which is right for running
triage but poor for a knowledge engineer fixing a file. ``lint`` reads the YAML itself to
report every fault of the kinds the loader refuses (each on its own line), then, when the
rule base loads, the faults the loader accepts: conditions that can never hold together,
outcomes no rule reaches, questions no rule uses, core questions of the public contract
that are missing or changed.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .cases import Case, CaseError, iter_cases, validate_case
from .conditions import Condition
from .errors import RuleBaseError
from .knowledge import (
    CORE_FILES,
    KRule,
    RuleBase,
    load_rulebase,
    parse_yaml,
    read_rule_file,
    rule_files,
)
from .questions import YESNO_VALUES
from .service import Triage

_SENSATIONS = (
    "stiffness",
    "tightness",
    "ache",
    "sharp",
    "burning",
    "radiating",
    "tingling",
    "numbness",
    "weakness",
    "popping",
)
_YESNO_CORE = (
    "function_limited",
    "self_care_not_helping",
    "pain_when_cracking",
    "frequent_cracking",
    "saddle_numbness",
    "bladder_bowel_change",
    "both_legs",
    "worsening_weakness",
    "major_trauma",
    "minor_trauma",
    "osteoporosis_or_steroids",
    "chest_symptoms",
    "tearing_pain",
    "fever",
    "neck_stiffness_headache",
    "head_neuro_symptoms",
    "hand_clumsiness_or_unsteady",
    "cancer_history",
    "weight_loss",
    "night_pain",
    "immune_risk",
    "blood_thinners",
    "hypermobility",
)
#: The core question catalogue of docs/questions.md: a public contract with case files, so it
#: is fixed here rather than read from the rule base it checks. id -> (type, values or range).
CORE_QUESTIONS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "age": ("integer", (0, 120)),
    "location": ("choice", ("neck", "upper_back", "lower_back")),
    "severity": ("integer", (0, 10)),
    "duration_weeks": ("number", (0, 520)),
    "sensations": ("multi", _SENSATIONS),
    **{q: ("yesno", ()) for q in _YESNO_CORE},
}

CHECKS = (
    "load",
    "duplicate-id",
    "no-source",
    "unknown-source",
    "unknown-question",
    "unknown-value",
    "never-holds",
    "unreachable-outcome",
    "unused-question",
    "core-question",
)


@dataclass(frozen=True)
class Problem:
    """One fault of the rule base, located like a ``RuleBaseError``."""

    check: str
    file: str
    message: str
    item: str | None = None
    field: str | None = None

    def line(self) -> str:
        """One line: file, item, field, message, and the check that found it."""
        parts = [self.file]
        if self.item:
            parts.append(self.item)
        if self.field:
            parts.append(f"field '{self.field}'")
        return ": ".join(parts) + f": {self.message} [{self.check}]"

    def as_dict(self) -> dict[str, Any]:
        """The problem as JSON."""
        return {
            "check": self.check,
            "file": self.file,
            "item": self.item,
            "field": self.field,
            "message": self.message,
        }


@dataclass
class LintReport:
    """Every problem found, and the rule base when it loaded."""

    problems: list[Problem]
    rulebase: RuleBase | None = None
    notes: list[str] = field(default_factory=list)


def lint(path: str | Path | None = None) -> LintReport:
    """Check the rule base in ``path`` (default: the bundled one) and report every problem."""
    rb: RuleBase | None = None
    load_error: RuleBaseError | None = None
    try:
        rb = load_rulebase(path)
    except RuleBaseError as exc:
        load_error = exc
    root = rb.path if rb is not None else _root(path)
    problems = list(_raw_checks(root)) if root is not None and root.is_dir() else []
    if load_error is not None:
        here = {(p.file, p.item, p.field) for p in problems}
        if (load_error.file, load_error.item, load_error.field) not in here:
            problems.insert(
                0,
                Problem(
                    "load", load_error.file, load_error.message, load_error.item, load_error.field
                ),
            )
    notes = []
    if rb is not None:
        problems += _never_holds(rb)
        problems += _unreachable(rb)
        problems += _unused_questions(rb)
    else:
        notes.append(
            "the rule base does not load: the checks that need it (never-holds, "
            "unreachable-outcome, unused-question) were skipped"
        )
    return LintReport(_dedupe(problems), rb, notes)


def _root(path: str | Path | None) -> Path | None:
    if path is not None:
        return Path(path)
    from .knowledge import bundled_rules_dir

    try:
        return bundled_rules_dir()
    except RuleBaseError:
        return None


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


# --- checks on the raw YAML: every fault, not just the first ------------------------------


def _raw_checks(root: Path) -> Iterator[Problem]:
    docs: dict[str, Any] = {}
    try:
        paths = rule_files(root)
    except RuleBaseError:
        paths = []  # the loader reports it
    for p in paths:
        try:
            docs[p.name] = parse_yaml(p, read_rule_file(p))
        except RuleBaseError:
            continue  # the loader reports it
    qfile = str(root / "questions.yaml")
    questions: dict[str, dict[str, Any]] | None = None
    if isinstance(docs.get("questions.yaml"), dict) and isinstance(
        docs["questions.yaml"].get("questions"), list
    ):
        questions = {}
        for i, entry in enumerate(docs["questions.yaml"]["questions"]):
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                if entry["id"] in questions:
                    yield Problem(
                        "duplicate-id",
                        qfile,
                        "duplicate question id",
                        f"question '{entry['id']}'",
                        "id",
                    )
                else:
                    questions[entry["id"]] = entry
            else:
                yield Problem(
                    "load", qfile, "each question needs an id", f"question #{i + 1}", "id"
                )
        yield from _core_questions(qfile, questions)
    sources: set[str] | None = None
    if isinstance(docs.get("sources.yaml"), dict) and isinstance(
        docs["sources.yaml"].get("sources"), list
    ):
        sources = set()
        for entry in docs["sources.yaml"]["sources"]:
            sid = entry.get("id") if isinstance(entry, dict) else None
            if isinstance(sid, str) and sid in sources:
                yield Problem(
                    "duplicate-id",
                    str(root / "sources.yaml"),
                    "duplicate source id",
                    f"source '{sid}'",
                    "id",
                )
            elif isinstance(sid, str):
                sources.add(sid)
    seen: dict[str, str] = {}
    for name in sorted(docs):
        doc = docs[name]
        if (
            name in CORE_FILES
            or not isinstance(doc, dict)
            or not isinstance(doc.get("rules"), list)
        ):
            continue
        file = str(root / name)
        for entry in doc["rules"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                continue
            rid = entry["id"]
            item = f"rule '{rid}'"
            if rid in seen:
                yield Problem(
                    "duplicate-id", file, f"duplicate rule id (also in {seen[rid]})", item, "id"
                )
            else:
                seen[rid] = file
            cited = entry.get("source")
            cited = [cited] if isinstance(cited, str) else cited
            if not cited or not isinstance(cited, list):
                yield Problem(
                    "no-source", file, "every rule cites at least one source", item, "source"
                )
            elif sources is not None:
                for sid in cited:
                    if not isinstance(sid, str) or sid not in sources:
                        yield Problem(
                            "unknown-source",
                            file,
                            f"unknown source {sid!r} (see sources.yaml)",
                            item,
                            "source",
                        )
            if questions is not None and isinstance(entry.get("when"), list):
                for j, cond in enumerate(entry["when"]):
                    yield from _raw_condition(file, item, j, cond, questions)


def _raw_condition(
    file: str, item: str, j: int, cond: Any, questions: dict[str, dict[str, Any]]
) -> Iterator[Problem]:
    if not isinstance(cond, dict) or "question" not in cond:
        return
    qid = cond["question"]
    if not isinstance(qid, str) or qid not in questions:
        yield Problem(
            "unknown-question", file, f"unknown question {qid!r}", item, f"when[{j}].question"
        )
        return
    q = questions[qid]
    qtype = q.get("type")
    given = q.get("values")
    values = given if isinstance(given, list) else []
    allowed = YESNO_VALUES if qtype == "yesno" else tuple(values)
    for test in ("is", "in", "not_in", "any_of"):
        if test not in cond or qtype not in ("yesno", "choice", "multi"):
            continue
        raw = cond[test]
        values = [raw] if test == "is" else raw if isinstance(raw, list) else [raw]
        for v in values:
            v = "yes" if v is True else "no" if v is False else v
            if v not in allowed:
                yield Problem(
                    "unknown-value",
                    file,
                    f"{v!r} is not a value of {qid!r}",
                    item,
                    f"when[{j}].{test}",
                )


def _core_questions(file: str, questions: dict[str, dict[str, Any]]) -> Iterator[Problem]:
    """The public question contract (docs/questions.md): every id, type and value kept."""
    for qid, (qtype, spec) in CORE_QUESTIONS.items():
        item = f"question '{qid}'"
        q = questions.get(qid)
        if q is None:
            yield Problem(
                "core-question",
                file,
                "core question of the public catalogue (docs/questions.md) is missing",
                item,
            )
            continue
        if q.get("type") != qtype:
            yield Problem(
                "core-question",
                file,
                f"core question must be {qtype}, not {q.get('type')}",
                item,
                "type",
            )
        elif qtype in ("choice", "multi"):
            raw = q.get("values")
            values = tuple(v for v in raw if isinstance(v, str)) if isinstance(raw, list) else ()
            if set(values) != set(spec):
                missing, extra = sorted(set(spec) - set(values)), sorted(set(values) - set(spec))
                what = "; ".join(
                    s
                    for s in (
                        f"missing {', '.join(missing)}" if missing else "",
                        f"not in the contract: {', '.join(extra)}" if extra else "",
                    )
                    if s
                )
                yield Problem(
                    "core-question",
                    file,
                    f"values differ from the public catalogue (docs/questions.md): {what}",
                    item,
                    "values",
                )
        elif qtype in ("integer", "number") and (q.get("min"), q.get("max")) != spec:
            yield Problem(
                "core-question",
                file,
                f"range must be {spec[0]} to {spec[1]}, not {q.get('min')} to {q.get('max')}",
                item,
                "min",
            )


# --- checks on the loaded rule base -------------------------------------------------------

Domain = frozenset | tuple | None  # finite values | (lo, lo_incl, hi, hi_incl) | unconstrained


def _full_domain(rb: RuleBase, qid: str) -> Domain:
    q = rb.questions[qid]
    if q.type == "yesno":
        return frozenset(YESNO_VALUES)
    if q.type == "choice":
        return frozenset(q.values)
    if q.type in ("integer", "number"):
        return (q.min, True, q.max, True)
    return None  # multi: any_of conditions on one question can always hold together


def _condition_domain(rb: RuleBase, c: Condition, accepts_unsure: bool) -> Domain:
    full = _full_domain(rb, c.question or "")
    if isinstance(full, frozenset):
        ok = {v for v in full if c.holds(v)}
        if accepts_unsure and c.test in ("is", "in") and "yes" in c.values:
            ok.add("unsure")
        return frozenset(ok)
    if isinstance(full, tuple):
        lo = -math.inf if c.low is None else c.low
        hi = math.inf if c.high is None else c.high
        return (lo, c.low_inclusive or c.low is None, hi, c.high_inclusive or c.high is None)
    return None


def _intersect(a: Domain, b: Domain) -> Domain:
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, frozenset) and isinstance(b, frozenset):
        return a & b
    assert isinstance(a, tuple) and isinstance(b, tuple)
    lo = max((a[0], a[1]), (b[0], b[1]), key=lambda x: (x[0], not x[1]))
    hi = min((a[2], a[3]), (b[2], b[3]), key=lambda x: (x[0], x[1]))
    return (lo[0], lo[1], hi[0], hi[1])


def _empty(d: Domain, integer: bool) -> bool:
    if d is None:
        return False
    if isinstance(d, frozenset):
        return not d
    lo, lo_in, hi, hi_in = d
    if integer:
        first = math.ceil(lo) if lo_in else math.floor(lo) + 1
        return first > hi or (first == hi and not hi_in)
    return lo > hi or (lo == hi and not (lo_in and hi_in))


class _Solver:
    """Whether a rule's conditions can hold together, following findings to their rules.

    Conservative: it answers "cannot" only when no answers at all could meet the conditions.
    """

    def __init__(self, rb: RuleBase):
        self.rb = rb
        self.softened = rb.softened_tiers

    def rule(self, r: KRule) -> bool:
        return self.solve(
            {}, [(c, r.tier in self.softened) for c in r.conditions], frozenset({r.id})
        )

    def solve(
        self,
        domains: dict[str, Domain],
        pending: list[tuple[Condition, bool]],
        visiting: frozenset[str],
    ) -> bool:
        if not pending:
            return True
        (c, soft), rest = pending[0], pending[1:]
        if c.kind == "answer" and c.question:
            q = self.rb.questions[c.question]
            d = _intersect(
                domains.get(q.id, _full_domain(self.rb, q.id)), _condition_domain(self.rb, c, soft)
            )
            if _empty(d, q.type == "integer"):
                return False
            return self.solve({**domains, q.id: d}, rest, visiting)
        if c.kind == "finding":
            return any(
                self.solve(
                    domains,
                    [(pc, p.tier in self.softened) for pc in p.conditions] + rest,
                    visiting | {p.id},
                )
                for p in self.rb.rules
                if p.finding == c.name and p.id not in visiting
            )
        if c.kind == "trigger_tier":
            for p in self.rb.rules:
                if p.tier != c.name or p.disposition is None or p.id in visiting:
                    continue
                for y in p.conditions:
                    if (
                        y.kind == "answer"
                        and y.test in ("is", "in")
                        and "yes" in y.values
                        and "unsure" not in y.values
                    ):
                        unsure = Condition(
                            kind="answer", question=y.question, test="is", values=("unsure",)
                        )
                        conds = [(unsure, False)] + [(pc, True) for pc in p.conditions]
                        if self.solve(domains, conds + rest, visiting | {p.id}):
                            return True
            return False
        return self.solve(domains, rest, visiting)  # absences (no_finding, no_disposition) can hold


def _never_holds(rb: RuleBase) -> Iterator[Problem]:
    solver = _Solver(rb)
    for r in rb.rules:
        item = f"rule '{r.id}'"
        alone = False
        for j, c in enumerate(r.conditions):
            if c.kind == "answer" and not solver.solve(
                {}, [(c, r.tier in solver.softened)], frozenset({r.id})
            ):
                alone = True
                yield Problem(
                    "never-holds",
                    r.file,
                    f"'{c.words(rb.questions)}' can never hold for the question's values",
                    item,
                    f"when[{j}]",
                )
        if not alone and not solver.rule(r):
            words = "; ".join(c.words(rb.questions) for c in r.conditions)
            yield Problem(
                "never-holds",
                r.file,
                f"its conditions can never hold together: {words}",
                item,
                "when",
            )


def _unreachable(rb: RuleBase) -> Iterator[Problem]:
    solver = _Solver(rb)
    live = [r for r in rb.rules if r.disposition is not None and solver.rule(r)]
    for o in rb.outcomes:
        if not any((r.disposition, r.timeframe) == (o.disposition, o.timeframe) for r in live):
            name = o.disposition + (f" ({o.timeframe})" if o.timeframe else "")
            yield Problem(
                "unreachable-outcome",
                str(rb.path / "policy.yaml"),
                "no rule can conclude this outcome",
                f"outcome '{name}'",
            )


def _unused_questions(rb: RuleBase) -> Iterator[Problem]:
    used = {q for r in rb.rules for q in r.questions}
    for qid in rb.questions:
        if qid not in used:
            yield Problem(
                "unused-question",
                str(rb.path / "questions.yaml"),
                "no rule uses this question, so the interview never asks it",
                f"question '{qid}'",
            )


# --- the reasoning as a graph ---------------------------------------------------------------


def graph_edges(rb: RuleBase) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str, str]]]:
    """Nodes (id -> (kind, label)) and edges (from, to, style): questions -> rules -> outcomes."""
    nodes: dict[str, tuple[str, str]] = {}
    edges: list[tuple[str, str, str]] = []
    for r in rb.rules:
        rn = f"rule:{r.id}"
        nodes[rn] = ("rule", r.id)
        for c in r.conditions:
            if c.kind == "answer" and c.question:
                nodes[f"q:{c.question}"] = ("question", c.question)
                edges.append((f"q:{c.question}", rn, "solid"))
            elif c.kind in ("finding", "no_finding"):
                nodes[f"f:{c.name}"] = ("finding", c.name)
                edges.append((f"f:{c.name}", rn, "solid" if c.kind == "finding" else "dashed"))
            elif c.kind == "trigger_tier":
                nodes[f"t:{c.name}"] = ("trigger", f"{c.name} trigger (unsure)")
                edges.append((f"t:{c.name}", rn, "solid"))
            elif c.kind == "no_disposition":
                nodes["t:none"] = ("trigger", "no disposition concluded")
                edges.append(("t:none", rn, "dashed"))
        if r.finding:
            nodes[f"f:{r.finding}"] = ("finding", r.finding)
            edges.append((rn, f"f:{r.finding}", "solid"))
        if r.disposition is not None:
            on = f"o:{r.disposition}:{r.timeframe or ''}"
            nodes[on] = ("outcome", r.disposition + (f" ({r.timeframe})" if r.timeframe else ""))
            edges.append((rn, on, "solid"))
            if r.tier in rb.softened_tiers:
                nodes[f"t:{r.tier}"] = ("trigger", f"{r.tier} trigger (unsure)")
                edges.append((rn, f"t:{r.tier}", "dashed"))
    return nodes, edges


_MERMAID_STYLE = {
    "question": "fill:#e8f0fe,stroke:#4a6fa5",
    "rule": "fill:#ffffff,stroke:#555555",
    "finding": "fill:#fff4d6,stroke:#b08900",
    "trigger": "fill:#f3e8fd,stroke:#7b4fa5",
    "outcome": "fill:#fde8e8,stroke:#a54a4a",
}


def render_mermaid(rb: RuleBase) -> str:
    """The rule base as a Mermaid flowchart."""
    nodes, edges = graph_edges(rb)
    shape = {
        "question": ('["', '"]'),
        "rule": ('("', '")'),
        "finding": ('{{"', '"}}'),
        "trigger": ('>"', '"]'),
        "outcome": ('[["', '"]]'),
    }
    ids: dict[str, str] = {}
    for n in nodes:  # Mermaid ids are plain words; keep distinct nodes distinct
        base = "".join(ch if ch.isalnum() else "_" for ch in n)
        ids[n] = base if base not in ids.values() else f"{base}_{len(ids)}"
    lines = ["flowchart LR"]
    for n, (kind, label) in nodes.items():
        a, b = shape[kind]
        lines.append(f"  {ids[n]}{a}{label.replace(chr(34), '#quot;')}{b}")
    for src, dst, style in edges:
        lines.append(f"  {ids[src]} {'-.->' if style == 'dashed' else '-->'} {ids[dst]}")
    for kind, style in _MERMAID_STYLE.items():
        members = [ids[n] for n, (k, _) in nodes.items() if k == kind]
        if members:
            lines.append(f"  classDef {kind} {style}")
            lines.append(f"  class {','.join(members)} {kind}")
    return "\n".join(lines) + "\n"


def render_dot(rb: RuleBase) -> str:
    """The rule base as a Graphviz DOT digraph."""
    nodes, edges = graph_edges(rb)
    shape = {
        "question": "box",
        "rule": "ellipse",
        "finding": "hexagon",
        "trigger": "cds",
        "outcome": "doubleoctagon",
    }

    def q(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"digraph {q(rb.name)} {{", "  rankdir=LR;"]
    for n, (kind, label) in nodes.items():
        lines.append(f"  {q(n)} [label={q(label)}, shape={shape[kind]}];")
    for src, dst, style in edges:
        lines.append(f"  {q(src)} -> {q(dst)}" + (" [style=dashed];" if style == "dashed" else ";"))
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- corpus tools: coverage and the impact of a change --------------------------------------


@dataclass
class Coverage:
    """How often each rule fired over a corpus (count of cases), and the invalid cases."""

    cases: int
    fired: Counter
    errors: list[CaseError]
    rules: list[KRule]

    @property
    def never_fired(self) -> list[str]:
        """Rules no case of the corpus fired, in rule-file order."""
        return [r.id for r in self.rules if not self.fired[r.id]]


def coverage(triage: Triage, paths: Iterable[str], stdin: Any = None) -> Coverage:
    """Evaluate every case of ``paths`` and count, per rule, the cases in which it fired."""
    fired: Counter = Counter()
    errors: list[CaseError] = []
    n = 0
    for item in iter_cases(paths, triage.rulebase, stdin=stdin):
        if isinstance(item, CaseError):
            errors.append(item)
            continue
        n += 1
        fired.update(set(triage.evaluate(item.answers).fired))
    return Coverage(n, fired, errors, list(triage.rulebase.rules))


def changed_rules(a: RuleBase, b: RuleBase) -> set[str]:
    """Ids of rules present in both rule bases whose content differs (their place aside)."""
    other = {r.id: replace(r, file="", order=0) for r in b.rules}
    return {r.id for r in a.rules if r.id in other and replace(r, file="", order=0) != other[r.id]}


def _deciding(ev: Any) -> list[str]:
    top = ev.outcome
    return [
        v.rule + (f" (softened by {v.via})" if v.via else "")
        for v in ev.verdicts
        if v.outcome == top
    ]


def diff(base: Triage, other: Triage, paths: Iterable[str], stdin: Any = None) -> dict[str, Any]:
    """Evaluate a corpus under two rule bases; every case whose disposition or timeframe changes.

    A case is read against ``base``; its raw answers are validated again against ``other``
    (a question may have been added, removed or changed there).
    """
    modified = changed_rules(base.rulebase, other.rulebase)
    base_ids = {r.id for r in base.rulebase.rules}
    other_ids = {r.id for r in other.rulebase.rules}
    changes: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    n = 0
    for item in iter_cases(paths, base.rulebase, stdin=stdin):
        if isinstance(item, CaseError):
            errors.append(item.record())
            continue
        n += 1
        again = validate_case(
            {"answers": item.raw_answers}, other.rulebase, source=item.source, default_id=item.id
        )
        before = base.evaluate(item.answers)
        if isinstance(again, CaseError):
            changes.append(
                {
                    "id": item.id,
                    "source": item.source,
                    "before": {
                        "disposition": before.outcome.disposition,
                        "timeframe": before.outcome.timeframe,
                    },
                    "after": None,
                    "error": again.message,
                    "field": again.field,
                    "rules": [],
                }
            )
            continue
        assert isinstance(again, Case)
        after = other.evaluate(again.answers)
        b, a = before.outcome, after.outcome
        if (b.disposition, b.timeframe) == (a.disposition, a.timeframe):
            continue
        fired_b, fired_a = set(before.fired), set(after.fired)
        rules = []
        for rid in before.fired + [r for r in after.fired if r not in fired_b]:
            if rid in fired_b and rid not in fired_a:
                why = "no longer fires" if rid in other_ids else "removed"
            elif rid in fired_a and rid not in fired_b:
                why = "now fires" if rid in base_ids else "added"
            elif rid in modified:
                why = "changed"
            else:
                continue
            rules.append({"rule": rid, "change": why})
        changes.append(
            {
                "id": item.id,
                "source": item.source,
                "before": {
                    "disposition": b.disposition,
                    "timeframe": b.timeframe,
                    "decided_by": _deciding(before),
                },
                "after": {
                    "disposition": a.disposition,
                    "timeframe": a.timeframe,
                    "decided_by": _deciding(after),
                },
                "rules": rules,
            }
        )
    return {
        "base": base.rulebase.identity(),
        "other": other.rulebase.identity(),
        "cases": n,
        "changed": changes,
        "errors": errors,
        "rules_added": sorted(other_ids - base_ids),
        "rules_removed": sorted(base_ids - other_ids),
        "rules_changed": sorted(modified),
        "rules": rule_changes(base.rulebase, other.rulebase),
    }


def rule_summary(r: KRule, rb: RuleBase) -> dict[str, Any]:
    """A rule as a reviewer compares it: tier, outcome, conditions in words, sources."""
    out: dict[str, Any] = {"title": r.title, "tier": r.tier}
    if r.disposition is not None:
        out["disposition"], out["timeframe"] = r.disposition, r.timeframe
    out["when"] = [c.words(rb.questions) for c in r.conditions]
    out["sources"] = list(r.sources)
    for key in ("reason", "caution", "finding", "routine"):
        if getattr(r, key):
            out[key] = getattr(r, key)
    return out


def rule_changes(base: RuleBase, other: RuleBase) -> list[dict[str, Any]]:
    """Rule by rule, what ``other`` adds, removes or changes against ``base`` (in the order
    of ``other``'s files, then the removed ones): each with its summary before and after and
    the fields that differ."""
    before = {r.id: rule_summary(r, base) for r in base.rules}
    after = {r.id: rule_summary(r, other) for r in other.rules}
    out: list[dict[str, Any]] = []
    for rid, a in after.items():
        b = before.get(rid)
        if b is None:
            out.append({"rule": rid, "change": "added", "before": None, "after": a})
        elif a != b:
            fields = [k for k in dict.fromkeys([*b, *a]) if b.get(k) != a.get(k)]
            out.append(
                {"rule": rid, "change": "changed", "fields": fields, "before": b, "after": a}
            )
    for rid, b in before.items():
        if rid not in after:
            out.append({"rule": rid, "change": "removed", "before": b, "after": None})
    return out
