"""Regenerate the generated blocks of the reference docs (docs/*.md), so they cannot drift.

Each block sits between ``<!-- generated: NAME -->`` and ``<!-- /generated -->``. Some are
drawn from the rule base (the question catalogue, the triggers of the policy), the others are
real runs of the commands, in a temporary directory holding the files they show. Run with no
argument to rewrite the docs; ``--check`` exits 1 if one is out of date (a test does this).

    uv run python scripts/docs_generate.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from docs_fhir import GENERATED as FHIR_GENERATED
from readme_examples import ROOT, console, elide, run

from triage.conditions import Condition
from triage.knowledge import ADVISORY_TIERS, KRule, RuleBase, load_rulebase
from triage.lint import CORE_QUESTIONS
from triage.plans import Text
from triage.questions import Question

DOCS = ROOT / "docs"
BLOCK = re.compile(r"(<!-- generated: (\S+) -->\n)(.*?)(<!-- /generated -->)", re.S)


# --- from the rule base ---------------------------------------------------------------------


@cache
def rulebase() -> RuleBase:
    return load_rulebase(ROOT / "rules")


def code(names: Iterable[str]) -> str:
    """Names in backticks, separated by commas."""
    return ", ".join(f"`{n}`" for n in names)


def answers_allowed(q: Question) -> str:
    """What a case file may give for a question, in a table cell."""
    unit = f" ({q.unit})" if q.unit else ""
    if q.type == "yesno":
        return "`yes`, `no` or `unsure`"
    if q.type == "integer":
        return f"a whole number from {q.min:g} to {q.max:g}{unit}"
    if q.type == "number":
        return f"a number from {q.min:g} to {q.max:g}{unit}"
    if q.type == "choice":
        return "one of " + code(q.values)
    return "a list of distinct values from " + code(q.values) + " (may be empty)"


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def questions_table() -> str:
    rb = rulebase()
    rows = [
        "| id | type | a case file gives | the question as asked | screen | contract |",
        "|---|---|---|---|---|---|",
    ]
    for q in sorted(rb.questions.values(), key=lambda q: q.order):
        rows.append(
            f"| `{q.id}` | {q.type} | {answers_allowed(q)} | {cell(q.prompt)} "
            f"| {f'`{q.group}`' if q.group else 'alone'} "
            f"| {'core' if q.id in CORE_QUESTIONS else 'added'} |"
        )
    return "\n".join(rows) + "\n"


def question_values() -> str:
    rb = rulebase()
    out = []
    for q in sorted(rb.questions.values(), key=lambda q: q.order):
        if q.type not in ("choice", "multi"):
            continue
        out.append(f"`{q.id}` ({q.type}):\n")
        out += [f"- `{v}`: {q.labels.get(v, v)}" for v in q.values]
        out.append("")
    return "\n".join(out)


def question_groups() -> str:
    rb = rulebase()
    out = []
    for g in rb.groups.values():
        out.append(f'- `{g.id}`: "{g.title}"  ')
        out.append(f"  members, in asking order: {code(g.members)}")
    return "\n".join(out) + "\n"


def condition_words(rb: RuleBase, c: Condition) -> str:
    """A condition in words, question ids in backticks."""
    words = c.words(rb.questions)
    subject = c.question or (c.name if c.kind == "derived" else "")
    if subject:
        words = re.sub(rf"\b{re.escape(subject)}\b", f"`{subject}`", words)
    return words


def rule_item(rb: RuleBase, r: KRule, shown: bool = False) -> str:
    when = "; ".join(condition_words(rb, c) for c in r.conditions)
    sources = ", ".join(dict.fromkeys(str(rb.sources[s]["short"]) for s in r.sources))
    line = f"- `{r.id}`: {r.title}. When {when}."
    if shown:
        line += f" Shown for {code(r.shown_for)}."
    return line + f" Sources: {sources}."


def outcome_name(disposition: str, timeframe: str | None) -> str:
    return f"`{disposition}`" + (f", `{timeframe}`" if timeframe else "")


def outcomes_table() -> str:
    rb = rulebase()
    rows = ["| disposition | timeframe | the person is told |", "|---|---|---|"]
    for o in rb.outcomes:
        rows.append(
            f"| `{o.disposition}` | {f'`{o.timeframe}`' if o.timeframe else ''} | {o.label} |"
        )
    return "\n".join(rows) + "\n"


def policy_triggers() -> str:
    rb = rulebase()
    softened = rb.softened_tiers
    out = []
    for o in rb.outcomes:
        rules = [
            r
            for r in rb.rules
            if r.tier not in ("resolution", *ADVISORY_TIERS)
            and (r.disposition, r.timeframe) == (o.disposition, o.timeframe)
        ]
        if not rules:
            continue
        out.append(f"### {outcome_name(o.disposition, o.timeframe)}\n")
        out += [rule_item(rb, r) for r in rules]
        soft = rb.softened_outcome(o.disposition) if o.disposition in softened else None
        if soft is not None:
            out.append(
                "\nA yes/no condition of these triggers is met by `unsure` too; a trigger met "
                f"only that way is softened to {outcome_name(soft.disposition, soft.timeframe)}."
            )
        else:
            out.append("\nOnly a definite `yes` meets a yes/no condition of these triggers.")
        out.append("")
    return "\n".join(out)


def policy_resolution() -> str:
    rb = rulebase()
    return "\n".join(rule_item(rb, r) for r in rb.rules if r.tier == "resolution") + "\n"


def policy_tier(tier: str) -> Callable[[], str]:
    def items() -> str:
        rb = rulebase()
        return "\n".join(rule_item(rb, r, shown=True) for r in rb.rules if r.tier == tier) + "\n"

    return items


def plan_texts(texts: Callable[[RuleBase], tuple[Text, ...]]) -> Callable[[], str]:
    def items() -> str:
        rb = rulebase()
        return "\n".join(f"- `{t.id}` ({code(t.shown_for)}): {t.text}" for t in texts(rb)) + "\n"

    return items


def region_words() -> str:
    rb = rulebase()
    regions = rb.plans.regions
    words = list(next(iter(regions.values())).words)
    rows = [
        "| region | name | " + " | ".join(f"`{{{w}}}`" for w in words) + " |",
        "|---|---|" + "---|" * len(words),
    ]
    for r in regions.values():
        default = " (default)" if r.id == rb.plans.default_region else ""
        rows.append(
            f"| `{r.id}`{default} | {r.name} | " + " | ".join(r.words[w] for w in words) + " |"
        )
    return "\n".join(rows) + "\n"


# --- real runs ------------------------------------------------------------------------------


@contextmanager
def workdir(
    files: dict[str, str], rules: dict[str, tuple[str, str]] | None = None
) -> Iterator[Path]:
    """A temporary directory holding ``files``, ``cases`` (the corpus) and, with ``rules``,
    a copy of the rule base as ``rules-changed`` with each (old, new) text replaced once."""
    with tempfile.TemporaryDirectory() as tmp:
        here = Path(tmp)
        for name, text in files.items():
            (here / name).write_text(text)
        os.symlink(ROOT / "cases", here / "cases")
        if rules is not None:
            shutil.copytree(ROOT / "rules", here / "rules-changed")
            for name, (old, new) in rules.items():
                path = here / "rules-changed" / name
                text = path.read_text()
                if text.count(old) != 1:
                    raise SystemExit(f"docs_generate: {name} no longer holds {old!r} once")
                path.write_text(text.replace(old, new))
        yield here


def shown(files: dict[str, str]) -> str:
    return "".join(console(f"cat {name}", text.rstrip()) for name, text in files.items())


def session(files: dict[str, str], *commands: str, stdin: str | None = None) -> str:
    """The files, then each ``triage`` command run among them (``stdin`` from the last file
    shown, when given)."""
    out = shown(files)
    redirect = f" < {list(files)[-1]}" if stdin is not None else ""
    with workdir(files) as here:
        for command in commands:
            output = run(command.split(), input=stdin, cwd=here)
            out += console(f"uv run triage {command}{redirect}", output)
    return out


def pretty(line: str) -> str:
    return json.dumps(json.loads(line), ensure_ascii=False, indent=2)


FALL = """\
id: fall-at-70
note: Slipped on the stairs yesterday
answers:
  age: 70
  location: lower_back
  minor_trauma: yes
expect:
  disposition: emergency
  fired: [fragility-fracture-age]
"""

DESK = """\
id: desk-ache
answers:
  age: 34
  location: lower_back
  severity: 3
  duration_weeks: 1
  sensations: [stiffness, ache]
  saddle_numbness: no
  bladder_bowel_change: no
"""

MIXED = """\
- id: ok
  answers: {age: 40, chest_symptoms: yes}
- id: typo
  answers: {age: 40, chest_symptom: yes}
- answers: {fever: maybe}
- id: extra
  answers: {}
  colour: red
"""

DUPLICATE = """\
id: twice
answers:
  saddle_numbness: yes
  saddle_numbness: no
"""

ALIAS = """\
id: alias
answers:
  fever: &answer no
  night_pain: *answer
"""

LINES = (
    '{"id": "line-1", "answers": {"age": 45, "both_legs": "yes"}}\n'
    "\n"
    '{"answers": {"severity": "7"}}\n'
    "not json\n"
    '{"answers": {"fever": "no", "fever": "yes"}}\n'
)

CASES = """\
- id: first
  answers: {age: 40, tearing_pain: yes}
- id: second
  answers: {age: 40, fever: unsure}
"""

RECORD_CASE = """\
id: neck-fever-unsure
note: A stiff, aching neck for 5 weeks; not sure about a temperature
answers:
  age: 42
  location: neck
  severity: 5
  duration_weeks: 5
  sensations: [stiffness, ache]
  saddle_numbness: no
  bladder_bowel_change: no
  both_legs: no
  chest_symptoms: no
  tearing_pain: no
  head_neuro_symptoms: no
  major_trauma: no
  fever: unsure
  neck_stiffness_headache: no
  minor_trauma: no
  cancer_history: no
  worsening_weakness: no
  hand_clumsiness_or_unsteady: no
"""


def case_example() -> str:
    return session(
        {"fall.yaml": FALL},
        "batch --format csv fall.yaml",
        "batch --check --format table fall.yaml",
    )


def missing_example() -> str:
    return session(
        {"desk.yaml": DESK}, "batch --format csv desk.yaml", "batch --strict --format csv desk.yaml"
    )


def invalid_example() -> str:
    return session({"mixed.yaml": MIXED}, "batch --format csv mixed.yaml")


def refused_example() -> str:
    return session(
        {"twice.yaml": DUPLICATE, "alias.yaml": ALIAS}, "batch --format csv twice.yaml alias.yaml"
    )


def lines_example() -> str:
    return session({"cases.jsonl": LINES}, "batch --format csv -", stdin=LINES)


def save_example() -> str:
    with workdir({}) as here:
        run(["ask", "--save", "saved.yaml"], input="1\n", cwd=here)
        saved = (here / "saved.yaml").read_text()
        check = run(["batch", "--check", "--format", "csv", "saved.yaml"], cwd=here)
    ask = "printf '1\\n' | uv run triage ask --save saved.yaml > /dev/null"
    return (
        f"```console\n$ {ask}\n```\n"
        + console("cat saved.yaml", saved.rstrip())
        + console("uv run triage batch --check --format csv saved.yaml", check)
    )


def answers_example() -> str:
    return session({"two.yaml": CASES}, "ask --answers two.yaml")


def record_example() -> str:
    files = {"neck.yaml": RECORD_CASE}
    with workdir(files) as here:
        line = run(["batch", "--format", "jsonl", "neck.yaml"], cwd=here)
    return shown(files) + console(
        "uv run triage batch neck.yaml | python -m json.tool --indent 2 --no-ensure-ascii",
        pretty(line),
    )


def error_record_example() -> str:
    text = '{"id": "p-17", "answers": {"age": 200}}\n'
    return console(
        f"printf '{text.rstrip()}\\n' | uv run triage batch -",
        run(["batch", "-"], input=text),
    )


BROKEN = {
    "20-doctor.yaml": (
        "{question: pain_when_cracking, is: yes}",
        "{question: pain_when_crackin, is: yes}",
    ),
    "30-physical-therapist.yaml": ("source: [cks-neck-pain]", "source: [cks-neck]"),
    "40-self-care.yaml": (
        "{question: frequent_cracking, is: yes}",
        "{question: frequent_cracking, is: often}",
    ),
}
RAISED = {"20-doctor.yaml": ("{question: severity, min: 9}", "{question: severity, min: 10}")}


def rules_check_broken() -> str:
    with workdir({}, rules=BROKEN) as here:
        out = run(["rules", "check", "--rules", "rules-changed"], cwd=here)
    return console("uv run triage rules check --rules rules-changed", out)


def rules_diff() -> str:
    with workdir({}, rules=RAISED) as here:
        out = run(["rules", "diff", "rules-changed", "cases/"], cwd=here)
    return console("uv run triage rules diff rules-changed cases/", out)


# --- the command line ------------------------------------------------------------------------


def command_paths() -> Iterator[list[str]]:
    """Every command and subcommand of ``triage``, as the words that name it, in help order."""
    import click

    from triage.cli import main

    def walk(cmd: click.Command, path: list[str]) -> Iterator[list[str]]:
        yield path
        if isinstance(cmd, click.Group):
            ctx = click.Context(cmd, info_name=path[-1] if path else "triage")
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                if sub is not None and not sub.hidden:
                    yield from walk(sub, [*path, name])

    yield from walk(main, [])


def cli_reference() -> str:
    """The ``--help`` of every command, each under its own heading."""
    from click.testing import CliRunner

    from triage.cli import main

    out = []
    for path in command_paths():
        name = " ".join(["triage", *path])
        result = CliRunner().invoke(
            main, [*path, "--help"], prog_name="triage", env=PLAIN, terminal_width=80
        )
        assert result.exit_code == 0, (name, result.output)
        out.append(f"### {name}\n\n" + console(f"{name} --help", result.output.rstrip("\n")))
    return "\n".join(out)


#: The environment of the help texts: no colour, and no option's default taken from the
#: writer's own environment.
PLAIN = {"NO_COLOR": "1", "TRIAGE_RULES": None, "TRIAGE_REGION": None, "TRIAGE_AUDIT_LOG": None}


GENERATED: dict[str, Callable[[], str]] = {
    # cli.md
    "cli-reference": cli_reference,
    # questions.md
    "questions-table": questions_table,
    "question-values": question_values,
    "question-groups": question_groups,
    # policy.md
    "policy-outcomes": outcomes_table,
    "policy-triggers": policy_triggers,
    "policy-resolution": policy_resolution,
    "policy-cautions": policy_tier("caution"),
    "policy-advice": policy_tier("advice"),
    "policy-safety-net": plan_texts(lambda rb: rb.plans.safety_net),
    "policy-general-cautions": plan_texts(lambda rb: rb.plans.cautions),
    "policy-regions": region_words,
    # case-files.md
    "case-example": case_example,
    "case-missing": missing_example,
    "case-invalid": invalid_example,
    "case-refused": refused_example,
    "case-lines": lines_example,
    "case-save": save_example,
    "case-answers": answers_example,
    # result-record.md
    "record": record_example,
    "error-record": error_record_example,
    # rules.md
    "rules-check": lambda: console("uv run triage rules check", run(["rules", "check"])),
    "rules-check-broken": rules_check_broken,
    "rules-show": lambda: console(
        "uv run triage rules show fragility-fracture-age",
        # the file's path, relative to the checkout (it prints it absolute)
        run(["rules", "show", "fragility-fracture-age"]).replace(f"{ROOT}{os.sep}", ""),
    ),
    "rules-coverage": lambda: console(
        "uv run triage rules coverage cases/", elide(run(["rules", "coverage", "cases/"]), 4, 3)
    ),
    "rules-diff": rules_diff,
    # fhir.md
    **FHIR_GENERATED,
}


def render(text: str) -> str:
    """``text`` with every generated block made anew."""

    def fill(m: re.Match[str]) -> str:
        if m.group(2) not in GENERATED:
            raise SystemExit(f"docs_generate: no generator for block {m.group(2)!r}")
        return m.group(1) + GENERATED[m.group(2)]() + m.group(4)

    return BLOCK.sub(fill, text)


def main() -> int:
    stale = []
    for path in sorted(DOCS.glob("*.md")):
        old = path.read_text()
        new = render(old)
        if new != old:
            stale.append(path.relative_to(ROOT))
            if "--check" not in sys.argv:
                path.write_text(new)
    if stale and "--check" in sys.argv:
        print(f"out of date: {', '.join(map(str, stale))}: run scripts/docs_generate.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
