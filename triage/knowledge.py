"""The knowledge base: loading and validating the rule files in ``rules/``.

Everything clinical lives in those YAML files (questions, rules, plan content, sources).
This module only checks them and gives them types; a broken file raises ``RuleBaseError``
naming the file, the rule or question, and the field.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from . import rulecache
from .conditions import Condition, ConditionError, parse_condition
from .derived import Derived, load_derived
from .documents import SafeLoader
from .errors import RuleBaseError
from .plans import Plans, load_plans, load_regions
from .questions import TYPES, Group, Question

CORE_FILES = ("questions.yaml", "sources.yaml", "policy.yaml", "plans.yaml", "regions.yaml")
#: Files kept beside the rules that are not part of the rule base: neither loaded as rules nor
#: in its sha256. The hazard log (triage/hazards.py) describes the rule base; editing it changes
#: no result, so it does not change the identity every result carries.
NOT_RULE_FILES = ("hazards.yaml",)
#: Tiers that conclude no disposition of their own: cautions (and findings), the choice of
#: advice, and the resolution of unsure answers and of the default outcome.
SPECIAL_TIERS = ("caution", "advice", "resolution")
ADVISORY_TIERS = ("caution", "advice")
MAX_RULE_FILE_BYTES = 4 * 1024 * 1024  # the bundled files are about 10 KB each
QUESTION_FIELDS = (
    *("id", "type", "values", "labels", "prompt", "help", "why", "item", "min", "max", "unit"),
)
SOURCE_FIELDS = ("id", "citation", "short", "url", "evidence")
OUTCOME_FIELDS = ("disposition", "timeframe", "self_care", "label")


def bundled_rules_dir() -> Path:
    """The rule base shipped with the package: ``rules/`` in a checkout, else the wheel copy."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "rules", here / "_bundled_rules"):
        if (candidate / "policy.yaml").is_file():
            return candidate
    raise RuleBaseError(str(here.parent / "rules"), "no bundled rule base found")


@dataclass(frozen=True)
class Outcome:
    """A disposition with its timeframe; ``rank`` orders urgency (higher is more urgent)."""

    disposition: str
    timeframe: str | None
    rank: int
    label: str
    self_care: bool = False  # advice a person follows alone (not "also noted" after another)


@dataclass(frozen=True)
class KRule:
    """One rule of the knowledge base, as data."""

    id: str
    title: str
    tier: str
    sources: tuple[str, ...]
    conditions: tuple[Condition, ...]
    file: str
    order: int
    disposition: str | None = None
    timeframe: str | None = None
    reason: str = ""
    finding: str | None = None
    caution: str | None = None
    routine: str | None = None
    adjust: str | None = None  # advice: the plan adjustment of plans.yaml it applies
    shown_for: tuple[str, ...] = ()  # caution and advice: the dispositions it is shown for
    derived_reads: tuple[str, ...] = ()  # questions read through derived values

    @property
    def questions(self) -> tuple[str, ...]:
        """The question ids this rule reads, in condition order (then those read through a
        derived value)."""
        own = tuple(c.question for c in self.conditions if c.kind == "answer" and c.question)
        return own + tuple(q for q in self.derived_reads if q not in own)


@dataclass
class RuleBase:
    """A loaded, validated rule base."""

    path: Path
    name: str
    version: str
    sha256: str
    questions: dict[str, Question]
    sources: dict[str, dict[str, Any]]
    outcomes: list[Outcome]
    rules: list[KRule]
    plans: Plans
    files: list[str] = field(default_factory=list)
    groups: dict[str, Group] = field(default_factory=dict)
    ask_first: tuple[str, ...] = ()  # dispositions whose questions the interview asks first
    derived: dict[str, Derived] = field(default_factory=dict)  # values derived from answers

    def outcome(self, disposition: str, timeframe: str | None) -> Outcome:
        """The outcome entry for a disposition and timeframe."""
        for o in self.outcomes:
            if o.disposition == disposition and o.timeframe == timeframe:
                return o
        raise KeyError((disposition, timeframe))

    def rule_outcome(self, rule: KRule) -> Outcome:
        """The outcome a rule concludes (a ``KeyError`` for a rule that concludes none)."""
        if rule.disposition is None:
            raise KeyError((rule.id, "no disposition"))
        return self.outcome(rule.disposition, rule.timeframe)

    @property
    def default_outcome(self) -> Outcome:
        """The least urgent outcome: what applies when no trigger fires."""
        return min(self.outcomes, key=lambda o: o.rank)

    @property
    def softened_tiers(self) -> frozenset[str]:
        """Tiers whose triggers ``unsure`` answers may meet (a resolution rule softens them)."""
        return frozenset(
            c.name for r in self.rules for c in r.conditions if c.kind == "trigger_tier"
        )

    def softened_outcome(self, tier: str) -> Outcome | None:
        """What a trigger of ``tier`` met only through ``unsure`` answers gives, if anything."""
        for r in self.rules:
            if any(c.kind == "trigger_tier" and c.name == tier for c in r.conditions):
                return self.rule_outcome(r)
        return None

    @property
    def ask_first_rank(self) -> int:
        """Questions that can still lead to an outcome of this rank or more are asked first."""
        ranks = [o.rank for o in self.outcomes if o.disposition in self.ask_first]
        return min(ranks) if ranks else max(o.rank for o in self.outcomes) + 1

    def rule(self, rule_id: str) -> KRule:
        """The rule with this id."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def identity(self) -> dict[str, str]:
        """What names this exact rule base in every result."""
        return {"name": self.name, "version": self.version, "sha256": self.sha256}


def load_rulebase(path: str | Path | None = None) -> RuleBase:
    """Load and validate the rule base in ``path`` (default: the bundled one)."""
    root = Path(path) if path is not None else bundled_rules_dir()
    if not root.is_dir():
        raise RuleBaseError(str(root), "not a directory")
    yaml_files = rule_files(root)
    for name in CORE_FILES:
        if not (root / name).is_file():
            raise RuleBaseError(str(root / name), "missing: every rule base has this file")
    digest = hashlib.sha256()
    contents = []
    for p in yaml_files:
        data = read_rule_file(p)
        digest.update(p.name.encode("utf-8", "surrogateescape") + b"\0" + data + b"\0")
        contents.append((p, data))
    sha256 = digest.hexdigest()
    names = [p.name for p in yaml_files]
    parser = _parser_version() if rulecache.cache_dir() is not None else None  # None: no cache
    cached = rulecache.load(sha256, parser, names) if parser else None
    docs: dict[str, Any] = cached if cached is not None else {}
    for p, data in contents:
        if cached is None:
            docs[p.name] = parse_yaml(p, data)
        if not (data.isascii() and b"\\" not in data) and _MAY_HOLD_CONTROL.search(data):
            _check_plain_text(str(p), docs[p.name])  # (it is rare: a quick look first)
    entry = rulecache.encode(docs) if cached is None and parser else None

    def rel(name: str) -> str:
        return str(root / name)

    questions = _load_questions(rel("questions.yaml"), docs["questions.yaml"])
    groups = _load_groups(rel("questions.yaml"), docs["questions.yaml"], questions)
    derived = load_derived(rel("questions.yaml"), docs["questions.yaml"], questions)
    sources = _load_sources(rel("sources.yaml"), docs["sources.yaml"])
    name, version, outcomes = _load_policy(rel("policy.yaml"), docs["policy.yaml"])
    ask_first = _load_interview(rel("policy.yaml"), docs["policy.yaml"], outcomes)
    tiers = {o.disposition for o in outcomes} | set(SPECIAL_TIERS)
    rules: list[KRule] = []
    for fname in sorted(docs):
        if fname in CORE_FILES:
            continue
        rules.extend(
            _load_rules(
                rel(fname), docs[fname], questions, sources, outcomes, tiers, len(rules), derived
            )
        )
    _check_rule_set(root, rules)
    regions, default_region = load_regions(rel("regions.yaml"), docs["regions.yaml"], sources)
    dispositions = tuple(dict.fromkeys(o.disposition for o in outcomes))
    plans = load_plans(
        rel("plans.yaml"), docs["plans.yaml"], sources, dispositions, regions, default_region
    )
    _check_advice(rules, plans)
    if entry is not None and parser:
        rulecache.store(sha256, parser, entry)
    return RuleBase(
        path=root,
        name=name,
        version=version,
        sha256=sha256,
        questions=questions,
        sources=sources,
        outcomes=outcomes,
        rules=rules,
        plans=plans,
        files=names,
        groups=groups,
        ask_first=ask_first,
        derived=derived,
    )


def _parser_version() -> str | None:
    """What the documents of a rule file depend on besides its bytes: PyYAML, libyaml, and
    this program's reader of them (by its file's time: an edited reader is a new entry).
    None if that cannot be told (the reader is not a file): then nothing is cached."""
    from . import documents

    try:
        reader = os.stat(documents.__file__).st_mtime_ns
    except (OSError, TypeError):
        return None
    return f"yaml{yaml.__version__}{'c' if documents.LIBYAML else 'py'}-{reader}"


def rule_files(root: Path) -> list[Path]:
    """The rule files of a rule base directory, sorted; one that is not a regular file is an
    error (a FIFO would wait for ever)."""
    try:
        paths = sorted(
            p
            for p in root.iterdir()
            if p.suffix in (".yaml", ".yml") and p.name not in NOT_RULE_FILES
        )
    except OSError as exc:
        raise RuleBaseError(str(root), f"cannot read: {exc.strerror or exc}") from None
    for p in paths:
        try:
            regular = stat.S_ISREG(p.stat().st_mode)
        except OSError as exc:
            raise RuleBaseError(str(p), f"cannot read: {exc.strerror or exc}") from None
        if not regular:
            raise RuleBaseError(str(p), "not a regular file")
    return paths


def read_rule_file(path: Path) -> bytes:
    """A rule file's bytes; one that cannot be read, or is over ``MAX_RULE_FILE_BYTES``, is a
    ``RuleBaseError`` naming it."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_RULE_FILE_BYTES + 1)
    except OSError as exc:
        raise RuleBaseError(str(path), f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_RULE_FILE_BYTES:
        raise RuleBaseError(str(path), f"larger than {MAX_RULE_FILE_BYTES // 2**20} MiB")
    return data


def parse_yaml(path: Path, data: bytes) -> Any:
    """One rule file's YAML, safely; a fault is a ``RuleBaseError`` naming the file."""
    try:
        # The stubs list PyYAML's own loaders only; ours is a safe loader (documents.py).
        return yaml.load(data.decode("utf-8"), Loader=SafeLoader)  # type: ignore[arg-type]
    except UnicodeDecodeError:
        raise RuleBaseError(str(path), "not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RuleBaseError(str(path), f"invalid YAML: {where}{problem}") from None


def _mapping(file: str, data: Any, key: str) -> list[Any]:
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise RuleBaseError(file, f"expected a top-level '{key}:' list", field=key)
    items: list[Any] = data[key]
    return items


def _text(file: str, item: str, entry: dict[str, Any], key: str, required: bool = True) -> str:
    value = entry.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise RuleBaseError(file, "missing or empty", item=item, field=key)
    return value.strip()


def _id(file: str, entry: Any, kind: str, number: int) -> str:
    """The id of the ``number``th entry of a list: a non-empty string."""
    value = entry.get("id") if isinstance(entry, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise RuleBaseError(
            file, f"each {kind} needs an id (a name)", item=f"{kind} #{number}", field="id"
        )
    return value


def _known(
    file: str, item: str, entry: dict[str, Any], fields: tuple[str, ...], prefix: str = ""
) -> None:
    """Every field of ``entry`` is one of ``fields``."""
    unknown = sorted(str(k) for k in entry if k not in fields)
    if unknown:
        raise RuleBaseError(
            file,
            f"unknown field (one of {', '.join(fields)})",
            item=item,
            field=prefix + unknown[0],
        )


def _number(file: str, item: str, value: Any, key: str) -> float:
    """A finite number (not a boolean): a threshold that is NaN would never compare."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RuleBaseError(file, "expected a finite number", item=item, field=key)
    return value


def _load_questions(file: str, data: Any) -> dict[str, Question]:
    out: dict[str, Question] = {}
    for i, entry in enumerate(_mapping(file, data, "questions")):
        qid = _id(file, entry, "question", i + 1)
        item = f"question '{qid}'"
        if qid in out:
            raise RuleBaseError(file, "duplicate question id", item=item, field="id")
        _known(file, item, entry, QUESTION_FIELDS)
        qtype = entry.get("type")
        if not isinstance(qtype, str) or qtype not in TYPES:
            raise RuleBaseError(
                file, f"type must be one of {', '.join(TYPES)}", item=item, field="type"
            )
        values: tuple[str, ...] = ()
        lo = hi = None
        if qtype in ("choice", "multi"):
            raw = entry.get("values")
            if (
                not isinstance(raw, list)
                or not raw
                or not all(isinstance(v, str) and v for v in raw)
                or len(set(raw)) != len(raw)
            ):
                raise RuleBaseError(
                    file, "expected a list of distinct names", item=item, field="values"
                )
            values = tuple(raw)
        if qtype in ("integer", "number"):
            lo = _number(file, item, entry.get("min"), "min")
            hi = _number(file, item, entry.get("max"), "max")
            if lo > hi:
                raise RuleBaseError(file, "min is above max", item=item, field="min")
        labels = entry.get("labels") or {}
        if (
            not isinstance(labels, dict)
            or not all(isinstance(v, str) and v.strip() for v in labels.values())
            or set(labels) - set(values)
        ):
            raise RuleBaseError(
                file, "labels must map the question's values to text", item=item, field="labels"
            )
        if entry.get("unit") is not None and not isinstance(entry["unit"], str):
            raise RuleBaseError(file, "expected text", item=item, field="unit")
        out[qid] = Question(
            id=qid,
            type=qtype,
            prompt=_text(file, item, entry, "prompt"),
            why=_text(file, item, entry, "why"),
            help=_text(file, item, entry, "help", required=False),
            item=_text(file, item, entry, "item", required=False),
            order=i,
            values=values,
            labels={str(k): str(v) for k, v in labels.items()},
            min=lo,
            max=hi,
            unit=str(entry.get("unit") or ""),
        )
    return out


def _load_groups(file: str, data: Any, questions: dict[str, Question]) -> dict[str, Group]:
    """The screens of related yes/no questions; each question belongs to one group at most.

    Each member's ``Question.group`` is set to its group's id.
    """
    raw = data.get("groups", []) if isinstance(data, dict) else []
    if not isinstance(raw, list):
        raise RuleBaseError(file, "expected a list of groups", field="groups")
    out: dict[str, Group] = {}
    owner: dict[str, str] = {}
    for i, entry in enumerate(raw):
        gid = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(gid, str) or not gid:
            raise RuleBaseError(file, "each group needs an id", item=f"group #{i + 1}", field="id")
        item = f"group '{gid}'"
        if gid in out or gid in questions:
            raise RuleBaseError(
                file, "duplicate id (groups and questions share ids)", item=item, field="id"
            )
        unknown = set(entry) - {"id", "title", "help", "members"}
        if unknown:
            raise RuleBaseError(file, "unknown field", item=item, field=sorted(unknown, key=str)[0])
        members = entry.get("members")
        if not isinstance(members, list) or not members:
            raise RuleBaseError(file, "expected a list of question ids", item=item, field="members")
        for qid in members:
            q = questions.get(qid) if isinstance(qid, str) else None
            if q is None:
                raise RuleBaseError(file, f"unknown question {qid!r}", item=item, field="members")
            if q.type != "yesno":
                raise RuleBaseError(
                    file,
                    f"a group holds yes/no questions; {qid!r} is {q.type}",
                    item=item,
                    field="members",
                )
            if qid in owner:
                raise RuleBaseError(
                    file, f"{qid!r} is already in group {owner[qid]!r}", item=item, field="members"
                )
            owner[qid] = gid
        out[gid] = Group(
            id=gid,
            title=_text(file, item, entry, "title"),
            help=_text(file, item, entry, "help", required=False),
            members=tuple(sorted(members, key=lambda q: questions[q].order)),
        )
    for qid, gid in owner.items():
        questions[qid] = replace(questions[qid], group=gid)
    return out


def _load_sources(file: str, data: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for i, entry in enumerate(_mapping(file, data, "sources")):
        sid = _id(file, entry, "source", i + 1)
        item = f"source '{sid}'"
        if sid in out:
            raise RuleBaseError(file, "duplicate source id", item=item, field="id")
        _known(file, item, entry, SOURCE_FIELDS)
        _text(file, item, entry, "citation")
        _text(file, item, entry, "short")
        for key in ("url", "evidence"):
            if entry.get(key) is not None and not isinstance(entry[key], str):
                raise RuleBaseError(file, "expected text or null", item=item, field=key)
        out[sid] = dict(entry)
    return out


def _load_policy(file: str, data: Any) -> tuple[str, str, list[Outcome]]:
    if not isinstance(data, dict) or not isinstance(data.get("rulebase"), dict):
        raise RuleBaseError(
            file, "expected a 'rulebase:' mapping with name and version", field="rulebase"
        )
    meta = data["rulebase"]
    name = _text(file, "rulebase", meta, "name")
    version = meta.get("version")
    if isinstance(version, bool) or not isinstance(version, str | int | float) or not version:
        raise RuleBaseError(file, "missing, or not a version", item="rulebase", field="version")
    raw = _mapping(file, data, "outcomes")
    if not raw:
        raise RuleBaseError(file, "a rule base has at least one outcome", field="outcomes")
    outcomes: list[Outcome] = []
    for i, entry in enumerate(raw):
        item = f"outcome #{i + 1}"
        if not isinstance(entry, dict):
            raise RuleBaseError(file, "expected a mapping", item=item)
        _known(file, item, entry, OUTCOME_FIELDS)
        disposition = _text(file, item, entry, "disposition")
        timeframe = entry.get("timeframe")
        if timeframe is not None and (not isinstance(timeframe, str) or not timeframe.strip()):
            raise RuleBaseError(file, "expected a name or null", item=item, field="timeframe")
        if any((o.disposition, o.timeframe) == (disposition, timeframe) for o in outcomes):
            raise RuleBaseError(file, "the same outcome twice", item=item, field="disposition")
        outcomes.append(
            Outcome(
                disposition,
                timeframe,
                rank=len(raw) - 1 - i,
                label=_text(file, item, entry, "label"),
                self_care=_flag(file, item, entry, "self_care"),
            )
        )
    return name, str(version), outcomes


def _flag(file: str, item: str, entry: dict[str, Any], key: str) -> bool:
    """A true/false field, false when absent."""
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise RuleBaseError(file, "expected true or false", item=item, field=key)
    return value


RULE_FIELDS = ("id", "title", "tier", "source", "when", "then", "note")
THEN_FIELDS = (
    *("disposition", "timeframe", "reason", "finding", "caution", "routine", "adjust"),
    "shown_for",
)


def _load_interview(file: str, data: dict[str, Any], outcomes: list[Outcome]) -> tuple[str, ...]:
    """policy.yaml's ``interview.ask_first``: the dispositions whose questions come first."""
    interview = data.get("interview") or {}
    if not isinstance(interview, dict) or set(interview) - {"ask_first"}:
        raise RuleBaseError(file, "expected a mapping with ask_first", field="interview")
    if "ask_first" not in interview:
        return ()
    return _shown_for(
        file, "interview", {"shown_for": interview["ask_first"]}, outcomes, "ask_first"
    )


def _load_rules(
    file: str,
    data: Any,
    questions: dict[str, Question],
    sources: dict[str, dict[str, Any]],
    outcomes: list[Outcome],
    tiers: set[str],
    start: int,
    derived: dict[str, Derived] | None = None,
) -> list[KRule]:
    derived = derived or {}
    rules = []
    for i, entry in enumerate(_mapping(file, data, "rules")):
        rid = _id(file, entry, "rule", i + 1)
        item = f"rule '{rid}'"
        _known(file, item, entry, RULE_FIELDS)
        title = _text(file, item, entry, "title")
        _text(file, item, entry, "note", required=False)
        tier = entry.get("tier")
        if not isinstance(tier, str) or tier not in tiers:
            raise RuleBaseError(
                file, f"tier must be one of {', '.join(sorted(tiers))}", item=item, field="tier"
            )
        cited = entry.get("source")
        cited = [cited] if isinstance(cited, str) else cited
        if not cited or not isinstance(cited, list):
            raise RuleBaseError(
                file, "every rule cites at least one source", item=item, field="source"
            )
        for sid in cited:
            if not isinstance(sid, str) or sid not in sources:
                raise RuleBaseError(
                    file, f"unknown source {sid!r} (see sources.yaml)", item=item, field="source"
                )
        when = entry.get("when")
        if not isinstance(when, list) or not when:
            raise RuleBaseError(
                file, "expected a non-empty list of conditions", item=item, field="when"
            )
        conditions = []
        for j, raw in enumerate(when):
            try:
                conditions.append(parse_condition(raw, questions, tiers, derived))
            except ConditionError as exc:
                fld = f"when[{j}]" + (f".{exc.field}" if exc.field else "")
                raise RuleBaseError(file, exc.message, item=item, field=fld) from None
        seen = [c.question or c.name for c in conditions if c.kind in ("answer", "derived")]
        if len(seen) != len(set(seen)):
            raise RuleBaseError(
                file, "one condition per question: combine bounds in one", item=item, field="when"
            )
        _check_satisfiable(file, item, conditions)
        then = entry.get("then")
        if not isinstance(then, dict):
            raise RuleBaseError(file, "expected a mapping", item=item, field="then")
        _known(file, item, then, THEN_FIELDS, prefix="then.")
        for key in THEN_FIELDS[:-1]:  # all but shown_for: texts or names
            value = then.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                kind = "text" if key in ("caution", "reason") else "a name"
                raise RuleBaseError(file, f"expected {kind}", item=item, field=f"then.{key}")
        disposition, timeframe = then.get("disposition"), then.get("timeframe")
        shown_for = _shown_for(file, item, then, outcomes, "then.shown_for")
        if tier in ADVISORY_TIERS:
            if disposition is not None or timeframe is not None:
                raise RuleBaseError(
                    file,
                    f"a {tier} rule concludes no disposition",
                    item=item,
                    field="then.disposition" if disposition is not None else "then.timeframe",
                )
            if tier == "caution" and not then.get("caution") and not then.get("finding"):
                raise RuleBaseError(
                    file,
                    "a caution rule gives a caution or a finding",
                    item=item,
                    field="then.caution",
                )
            if tier == "advice" and not (then.get("routine") or then.get("adjust")):
                raise RuleBaseError(
                    file,
                    "an advice rule names a routine or an adjustment",
                    item=item,
                    field="then.routine",
                )
        else:
            for key in ("shown_for", "routine", "adjust"):
                if key in then:
                    raise RuleBaseError(
                        file,
                        "only caution and advice rules say this",
                        item=item,
                        field=f"then.{key}",
                    )
            valid = {(o.disposition, o.timeframe) for o in outcomes}
            if (disposition, timeframe) not in valid:
                raise RuleBaseError(
                    file,
                    f"({disposition}, {timeframe}) is not an outcome of policy.yaml",
                    item=item,
                    field="then.disposition",
                )
            if tier != "resolution" and disposition != tier:
                raise RuleBaseError(
                    file, f"a {tier} rule concludes {tier}", item=item, field="then.disposition"
                )
            reason = then.get("reason")
            if not isinstance(reason, str) or not reason.strip():
                raise RuleBaseError(
                    file,
                    "a rule that concludes a disposition says why",
                    item=item,
                    field="then.reason",
                )
        rules.append(
            KRule(
                id=rid,
                title=title,
                tier=tier,
                sources=tuple(cited),
                conditions=tuple(conditions),
                file=file,
                order=start + i,
                disposition=disposition,
                timeframe=timeframe,
                reason=str(then.get("reason") or "").strip(),
                finding=then.get("finding"),
                caution=(then["caution"].strip() if then.get("caution") else None),
                routine=then.get("routine"),
                adjust=then.get("adjust"),
                shown_for=shown_for,
                derived_reads=tuple(
                    dict.fromkeys(
                        q for c in conditions if c.kind == "derived" for q in derived[c.name].reads
                    )
                ),
            )
        )
    return rules


def _shown_for(
    file: str, item: str, entry: dict[str, Any], outcomes: list[Outcome], fld: str
) -> tuple[str, ...]:
    """The dispositions whose advice an item belongs to (default: every one)."""
    dispositions = tuple(dict.fromkeys(o.disposition for o in outcomes))
    raw = entry.get("shown_for")
    if raw is None:
        return dispositions
    if not isinstance(raw, list) or not raw or not all(isinstance(d, str) for d in raw):
        raise RuleBaseError(file, "expected a list of dispositions", item=item, field=fld)
    for d in raw:
        if d not in dispositions:
            raise RuleBaseError(file, f"unknown disposition {d!r}", item=item, field=fld)
    return tuple(d for d in dispositions if d in raw)


def _check_satisfiable(file: str, item: str, conditions: list[Condition]) -> None:
    findings = {c.name for c in conditions if c.kind == "finding"}
    absent = {c.name for c in conditions if c.kind == "no_finding"}
    if findings & absent:
        raise RuleBaseError(
            file, "requires a finding and its absence: can never hold", item=item, field="when"
        )


def _check_rule_set(root: Path, rules: list[KRule]) -> None:
    """Ids are unique, and every derived fact is concluded before a rule reads it."""
    seen: dict[str, KRule] = {}
    for r in rules:
        if r.id in seen:
            raise RuleBaseError(
                r.file,
                f"duplicate rule id (also in {seen[r.id].file})",
                item=f"rule '{r.id}'",
                field="id",
            )
        seen[r.id] = r
    for r in rules:
        for c in r.conditions:
            if c.kind in ("finding", "no_finding"):
                producers = [p for p in rules if p.finding == c.name]
                if not producers:
                    raise RuleBaseError(
                        r.file,
                        f"no rule concludes finding {c.name!r}",
                        item=f"rule '{r.id}'",
                        field="when",
                    )
                late = [p.id for p in producers if p.order > r.order]
                if late:
                    raise RuleBaseError(
                        r.file,
                        f"reads finding {c.name!r} before {late[0]!r} concludes it: move it later",
                        item=f"rule '{r.id}'",
                        field="when",
                    )
            if c.kind == "trigger_tier":
                late = [p.id for p in rules if p.tier == c.name and p.order > r.order]
                if late:
                    raise RuleBaseError(
                        r.file,
                        f"must come after every {c.name} rule ({late[0]!r})",
                        item=f"rule '{r.id}'",
                        field="when",
                    )
            if c.kind == "no_disposition":
                late = [p.id for p in rules if p.disposition and p.order > r.order and p.id != r.id]
                if late:
                    raise RuleBaseError(
                        r.file,
                        f"must come after every rule that concludes a disposition ({late[0]!r})",
                        item=f"rule '{r.id}'",
                        field="when",
                    )


# Control characters (but tab and newline), and those that reorder text on screen: text from a
# rule base is shown in terminals, where ESC would drive the terminal.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


# Where such a character can come from in a file YAML reads: an escape in a double-quoted
# string, or the character itself (YAML refuses the other control characters as they are).
_CONTROL_CODE = rb"(?:00(?:[01]|[789][0-9a-fA-F])|061[cC]|200[eEfF]|202[89a-eA-E]|206[6-9])"
_MAY_HOLD_CONTROL = re.compile(
    rb"\\[0abvfreNLP]|\\x(?:[01]|[789])[0-9a-fA-F]|\\u"
    + _CONTROL_CODE
    + rb"|\\U0000"
    + _CONTROL_CODE
    + rb"|\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8e\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]"
)


def _check_plain_text(file: str, doc: Any) -> None:
    """Every text in a rule file is plain text: no control characters."""
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            found = _CONTROL.search(node)
            if found:
                raise RuleBaseError(
                    file,
                    f"control character {found.group()!r} in text: only plain text is shown",
                    field=where or None,
                )
        elif isinstance(node, dict):
            for key, value in node.items():
                path = f"{where}.{key}" if where else str(key)
                stack.append((key, path))
                stack.append((value, path))
        elif isinstance(node, list):
            stack.extend((value, f"{where}[{i}]") for i, value in enumerate(node))


def _check_advice(rules: list[KRule], plans: Plans) -> None:
    """Every routine and adjustment an advice rule names exists, and the tools' finding is
    concluded."""
    for r in rules:
        if r.adjust and r.adjust not in plans.adjustments:
            raise RuleBaseError(
                r.file,
                f"no adjustment {r.adjust!r} in plans.yaml",
                item=f"rule '{r.id}'",
                field="then.adjust",
            )
        if r.routine and r.routine not in plans.routines:
            raise RuleBaseError(
                r.file,
                f"no routine {r.routine!r} in plans.yaml",
                item=f"rule '{r.id}'",
                field="then.routine",
            )
    if not any(r.finding == plans.tools.avoid_finding for r in rules):
        raise RuleBaseError(
            "plans.yaml",
            f"no rule concludes finding {plans.tools.avoid_finding!r}",
            item="tools.avoid_when",
            field="finding",
        )
