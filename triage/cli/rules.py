"""``triage rules``: look at the knowledge base, lint it, and measure a change before it ships."""

from __future__ import annotations

import difflib
import json
import sys
from typing import Any

import click

from ..explain import conclusion_words
from ..knowledge import KRule, RuleBase
from ..lint import coverage as corpus_coverage
from ..lint import diff as corpus_diff
from ..lint import lint, render_dot, render_mermaid
from ..printable import printable
from .common import UsageFailure, load_triage, rules_option

format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)


@click.group()
def rules() -> None:
    """Inspect, draw, lint and compare the rule base."""


def _sources(rule: KRule) -> str:
    return ", ".join(rule.sources)


@rules.command("list")
@format_option
@rules_option
def list_rules(fmt: str, rules_dir: str | None) -> None:
    """List every rule in firing order: id, tier, title, sources."""
    rb = load_triage(rules_dir).rulebase
    if fmt == "json":
        rows = [
            {"id": r.id, "tier": r.tier, "title": r.title, "source": list(r.sources)}
            for r in rb.rules
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    wid = max(len(r.id) for r in rb.rules)
    wtier = max(len(r.tier) for r in rb.rules)
    for r in rb.rules:
        click.echo(f"{r.id:<{wid}}  {r.tier:<{wtier}}  {r.title}  [{_sources(r)}]")


def rule_detail(rb: RuleBase, r: KRule) -> dict[str, Any]:
    """A rule in words: its conditions, conclusion, sources and the questions it reads."""
    return {
        "id": r.id,
        "title": r.title,
        "tier": r.tier,
        "file": r.file,
        "order": r.order,
        "conditions": [c.words(rb.questions) for c in r.conditions],
        "concludes": conclusion_words(r, rb),
        "disposition": r.disposition,
        "timeframe": r.timeframe,
        "reason": r.reason,
        "finding": r.finding,
        "caution": r.caution,
        "sources": [
            {"id": s, "citation": rb.sources[s].get("citation"), "url": rb.sources[s].get("url")}
            for s in r.sources
        ],
        "questions": [{"id": q, "prompt": rb.questions[q].prompt} for q in r.questions],
    }


@rules.command("show")
@click.argument("rule_id")
@format_option
@rules_option
def show(rule_id: str, fmt: str, rules_dir: str | None) -> None:
    """Show one rule: its conditions and conclusion in words, its sources, the questions it uses."""
    rb = load_triage(rules_dir).rulebase
    try:
        r = rb.rule(rule_id)
    except KeyError:
        close = difflib.get_close_matches(rule_id, [x.id for x in rb.rules], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else " (see 'triage rules list')"
        raise UsageFailure(f"unknown rule id {rule_id!r}{hint}") from None
    d = rule_detail(rb, r)
    if fmt == "json":
        click.echo(json.dumps(d, ensure_ascii=False, indent=2))
        return
    lines = [f"{r.id}: {r.title}", f"tier: {r.tier}   (file {r.file}, rule #{r.order + 1})", "IF"]
    lines += [f"  {'AND ' if i else '    '}{w}" for i, w in enumerate(d["conditions"])]
    lines.append(f"THEN {d['concludes']}")
    if r.reason:
        lines.append(f"  reason: {r.reason}")
    if r.caution:
        lines.append(f"  caution: {r.caution}")
    lines.append("sources:")
    lines += [
        f"  {s['id']}: {s['citation']}" + (f" <{s['url']}>" if s.get("url") else "")
        for s in d["sources"]
    ]
    lines.append("questions:")
    lines += [f"  {q['id']}: {q['prompt']}" for q in d["questions"]] or [
        "  (none: it reads derived facts only)"
    ]
    click.echo("\n".join(lines))


@rules.command()
@click.option(
    "--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True
)
@rules_option
def graph(fmt: str, rules_dir: str | None) -> None:
    """Draw the reasoning: questions -> rules -> findings -> dispositions (Mermaid or DOT)."""
    rb = load_triage(rules_dir).rulebase
    click.echo(render_mermaid(rb) if fmt == "mermaid" else render_dot(rb), nl=False)


@rules.command()
@format_option
@rules_option
def check(fmt: str, rules_dir: str | None) -> None:
    """Lint the rule base; every problem on its own line.

    Checks: loading, duplicate ids, rules without a (known) source, unknown question ids or
    values, conditions that can never hold together, outcomes no rule reaches, questions no
    rule uses, core questions of the public catalogue (docs/questions.md) missing or changed.

    Exit status: 0 no problem; 1 some problem.
    """
    report = lint(rules_dir)
    if fmt == "json":
        click.echo(
            json.dumps(
                {"problems": [p.as_dict() for p in report.problems], "notes": report.notes},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for p in report.problems:
            click.echo(printable(p.line()))
        for n in report.notes:
            click.echo(f"note: {n}", err=True)
        rb = report.rulebase
        if report.problems:
            click.echo(f"{len(report.problems)} problem(s)", err=True)
        elif rb is not None:
            click.echo(
                f"ok: {rb.name} {rb.version}: {len(rb.rules)} rules, "
                f"{len(rb.questions)} questions, "
                f"{len(rb.sources)} sources, no problems"
            )
    if report.problems:
        sys.exit(1)


@rules.command()
@click.argument("paths", nargs=-1, required=True)
@format_option
@rules_option
def coverage(paths: tuple[str, ...], fmt: str, rules_dir: str | None) -> None:
    """How often each rule fired over the cases in PATHS, and the rules that never fired.

    Exit status: 0 done; 1 some case was invalid (it is reported and left out).
    """
    triage = load_triage(rules_dir)
    cov = corpus_coverage(triage, paths)
    for e in cov.errors:
        click.echo(f"error: {e.line()}", err=True)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "cases": cov.cases,
                    "rules": [
                        {"id": r.id, "tier": r.tier, "fired": cov.fired[r.id]} for r in cov.rules
                    ],
                    "never_fired": cov.never_fired,
                    "errors": [e.record() for e in cov.errors],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        wid = max(len(r.id) for r in cov.rules)
        click.echo(f"{cov.cases} case(s)")
        for r in cov.rules:
            n = cov.fired[r.id]
            share = f"{100 * n / cov.cases:5.1f}%" if cov.cases else "    -"
            click.echo(f"{r.id:<{wid}}  {n:>6}  {share}")
        if cov.never_fired:
            click.echo(f"never fired ({len(cov.never_fired)}): {', '.join(cov.never_fired)}")
        else:
            click.echo("every rule fired at least once")
    if cov.errors:
        sys.exit(1)


@rules.command()
@click.argument("other_rules", metavar="OTHER_RULES_DIR", type=click.Path(file_okay=False))
@click.argument("paths", nargs=-1)
@format_option
@click.option("--exit-code", is_flag=True, help="Exit 1 when some decision changes (for CI).")
@rules_option
def diff(
    other_rules: str, paths: tuple[str, ...], fmt: str, exit_code: bool, rules_dir: str | None
) -> None:
    """Compare the rule base with OTHER_RULES_DIR, rule by rule, and on the cases in PATHS.

    Lists every rule OTHER_RULES_DIR adds, removes or changes (its outcome and conditions
    before and after), then every case whose disposition or timeframe changes, with the
    rules responsible. From version A to version B: --rules A diff B [PATHS].

    Exit status: 0 done; 1 some case was invalid, or (with --exit-code) some decision changed;
    2 bad usage or rule base.
    """
    base = load_triage(rules_dir)
    other = load_triage(other_rules)
    d = corpus_diff(base, other, paths)
    for e in d["errors"]:
        where = f"{e['source']}: case '{e['id']}'" + (
            f": {e['error']['field']}" if e["error"]["field"] else ""
        )
        click.echo(printable(f"error: {where}: {e['error']['message']}"), err=True)
    if fmt == "json":
        click.echo(json.dumps(d, ensure_ascii=False, indent=2))
    else:

        def name(rbid: dict[str, str]) -> str:
            return f"{rbid['name']} {rbid['version']} ({rbid['sha256'][:12]})"

        click.echo(f"base:  {name(d['base'])}\nother: {name(d['other'])}")
        for key, word in (
            ("rules_added", "added"),
            ("rules_removed", "removed"),
            ("rules_changed", "changed"),
        ):
            if d[key]:
                click.echo(f"rules {word}: {', '.join(d[key])}")
        for change in d["rules"]:
            for line in _rule_change_lines(change):
                click.echo(printable(line))
        for c in d["changed"]:
            b, a = c["before"], c["after"]
            before = _outcome(b)
            if a is None:
                click.echo(
                    printable(
                        f"{c['source']}: {c['id']}: {before} -> "
                        f"invalid under the other rule base: {c['error']}"
                    )
                )
                continue
            click.echo(printable(f"{c['source']}: {c['id']}: {before} -> {_outcome(a)}"))
            click.echo(
                f"    decided by: {', '.join(b['decided_by'])} -> {', '.join(a['decided_by'])}"
            )
            if c["rules"]:
                click.echo(
                    "    rules: " + ", ".join(f"{r['rule']} ({r['change']})" for r in c["rules"])
                )
        click.echo(f"{len(d['changed'])} of {d['cases']} case(s) change")
    if d["errors"] or (exit_code and d["changed"]):
        sys.exit(1)


def _rule_outcome(r: dict[str, Any]) -> str:
    if "disposition" in r:
        return _outcome(r)
    return r["tier"]


def _rule_change_lines(c: dict[str, Any]) -> list[str]:
    """One rule's change: a head line, then its conditions (before and after when changed)."""
    b, a = c["before"], c["after"]
    if c["change"] == "added":
        lines = [f"+ {c['rule']}: {_rule_outcome(a)}: {a['title']}"]
        lines += [f"      when {w}" for w in a["when"]]
    elif c["change"] == "removed":
        lines = [f"- {c['rule']}: {_rule_outcome(b)}: {b['title']}"]
    else:
        head = f"~ {c['rule']}: {_rule_outcome(b)}"
        if _rule_outcome(b) != _rule_outcome(a):
            head += f" -> {_rule_outcome(a)}"
        lines = [head + f" (changed: {', '.join(c['fields'])})"]
        if b["when"] != a["when"]:
            lines += [f"      was {w}" for w in b["when"]]
            lines += [f"      now {w}" for w in a["when"]]
    return lines


def _outcome(o: dict[str, Any]) -> str:
    return o["disposition"] + (f" ({o['timeframe']})" if o.get("timeframe") else "")
