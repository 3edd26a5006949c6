"""``triage batch``: evaluate case files, one record per case, in input order."""

from __future__ import annotations

import json
import sys

import click

from ..audit import AuditLog, decision_record
from ..cases import Case, iter_cases
from .audit import audit_log_option
from .common import UsageFailure, load_triage, rules_option


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "json"]),
    default="jsonl",
    show_default=True,
    help="jsonl: one JSON object per line; json: one JSON array.",
)
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Write records here (default: stdout).",
)
@rules_option
@audit_log_option
def batch(
    paths: tuple[str, ...], fmt: str, output, rules_dir: str | None, audit_log: str | None
) -> None:
    """Evaluate case files (YAML, JSON, JSON Lines; directories; '-' for JSON Lines on stdin).

    Writes one record per case in input order. An invalid case gets an error record
    naming the file, the case and the field; the others are still evaluated.

    Exit status: 0 all cases evaluated; 1 some case was invalid; 2 bad usage or rule base.
    """
    triage = load_triage(rules_dir)
    try:
        log = AuditLog(audit_log).open() if audit_log else None
    except OSError as exc:
        raise UsageFailure(f"cannot write audit log {audit_log}: {exc.strerror}") from None
    errors = 0
    first = True
    if fmt == "json":
        output.write("[")
    for item in iter_cases(paths, triage.rulebase, stdin=sys.stdin):
        if isinstance(item, Case):
            record = triage.result(item)
            if log is not None:
                log.append(decision_record(record, command="batch"))
        else:
            errors += 1
            click.echo(f"error: {item.line()}", err=True)
            record = item.record()
        text = json.dumps(record, ensure_ascii=False)
        if fmt == "json":
            output.write(("\n" if first else ",\n") + text)
        else:
            output.write(text + "\n")
        first = False
    if fmt == "json":
        output.write("\n]\n" if not first else "]\n")
    output.flush()
    if log is not None:
        log.close()
    if errors:
        click.echo(f"{errors} case(s) invalid", err=True)
        sys.exit(1)
