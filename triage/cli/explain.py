"""``triage explain``: a readable account of one decision (MYCIN's HOW and WHY, CLIPS' matches)."""

from __future__ import annotations

import json
import sys

import click

from ..cases import Case, CaseError, iter_cases
from ..explain import explain_case, render_text
from .common import UsageFailure, load_triage, rules_option


@click.command()
@click.argument("case_file")
@click.option(
    "--case", "case_id", default=None, help="The case to explain, when the file holds several."
)
@click.option(
    "--why-not",
    "why_not",
    metavar="DISPOSITION",
    default=None,
    help="Also show the rules that would conclude DISPOSITION (or DISPOSITION:TIMEFRAME) "
    "and which of their conditions failed.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@rules_option
def explain(
    case_file: str, case_id: str | None, why_not: str | None, fmt: str, rules_dir: str | None
) -> None:
    """Explain the decision for one case of CASE_FILE ('-' for JSON Lines on stdin).

    Shows the disposition, every rule that fired in order (id, title, sources, the answers it
    matched, what it concluded), and each question the interview would ask, with why.

    Exit status: 0 explained; 1 the case is invalid; 2 bad usage or rule base.
    """
    triage = load_triage(rules_dir)
    rb = triage.rulebase
    if why_not is not None:
        disposition, _, timeframe = why_not.partition(":")
        known = {(o.disposition, o.timeframe or "") for o in rb.outcomes}
        if not any(d == disposition and (not timeframe or t == timeframe) for d, t in known):
            choices = sorted({d for d, _ in known} | {f"{d}:{t}" for d, t in known if t})
            raise UsageFailure(
                f"unknown disposition {why_not!r} for --why-not; one of: {', '.join(choices)}"
            )
    items = list(iter_cases([case_file], rb))
    if case_id is not None:
        items = [i for i in items if i.id == case_id]
        if not items:
            raise UsageFailure(f"{case_file}: no case with id {case_id!r}")
    elif len(items) > 1:
        ids = ", ".join(i.id for i in items[:10]) + (", ..." if len(items) > 10 else "")
        raise UsageFailure(f"{case_file} holds {len(items)} cases; choose one with --case ({ids})")
    item = items[0]
    if isinstance(item, CaseError):
        click.echo(f"error: {item.line()}", err=True)
        sys.exit(1)
    assert isinstance(item, Case)
    data = explain_case(triage, item, why_not)
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(data), nl=False)
