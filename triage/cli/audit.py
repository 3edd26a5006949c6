"""``triage audit``: summarise an audit log, or replay it under the current rule base."""

from __future__ import annotations

import json
import sys

import click

from ..audit import ENV_VAR, parse_when, read_log, replay, select, summarise, verify
from ..errors import TriageError
from ..printable import printable
from .common import UsageFailure, load_triage, rules_option

#: For ``ask`` and ``batch``: where to append one audit record per decision.
audit_log_option = click.option(
    "--audit-log",
    "audit_log",
    envvar=ENV_VAR,
    type=click.Path(dir_okay=False),
    default=None,
    help=f"Append one audit record per decision to this JSON Lines file (env {ENV_VAR}).",
)


@click.command()
@click.argument("log_file", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option("--rule", default=None, help="Only records in which this rule fired.")
@click.option(
    "--disposition",
    default=None,
    help="Only records with this disposition (or DISPOSITION:TIMEFRAME).",
)
@click.option(
    "--since",
    default=None,
    help="Only records at or after this date (YYYY-MM-DD) or ISO date-time.",
)
@click.option(
    "--until",
    default=None,
    help="Only records up to this date (inclusive) or before this date-time.",
)
@click.option(
    "--replay",
    "do_replay",
    is_flag=True,
    help="Re-evaluate every record under the current rule base; list those that would now differ.",
)
@click.option(
    "--verify",
    "do_verify",
    is_flag=True,
    help="Check the chain of records: say where a line was changed, deleted, moved or added.",
)
@click.option(
    "--exit-code", is_flag=True, help="With --replay: exit 1 when some decision would differ."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@rules_option
def audit(
    log_file: str,
    rule: str | None,
    disposition: str | None,
    since: str | None,
    until: str | None,
    do_replay: bool,
    do_verify: bool,
    exit_code: bool,
    fmt: str,
    rules_dir: str | None,
) -> None:
    """Summarise the audit log FILE: counts per disposition and per rule, with filters.

    A broken line (such as the partial last line of a killed writer), or a line that is not a
    decision record (a field of the wrong shape), is skipped with a warning.

    --verify checks that each record carries the hash of the line before it, and lists
    each line where that chain breaks (a line changed, deleted, moved or added; a duplicate
    key; a NaN). It prints the last line's hash: kept elsewhere, it shows a later change of
    the end too.

    Exit status: 0 done; 1 (with --replay --exit-code) some decision would differ, or (with
    --verify) the chain breaks; 2 bad usage or rule base.
    """
    if do_verify:
        if do_replay or any(x is not None for x in (rule, disposition, since, until)):
            raise UsageFailure("--verify reads the whole log: no --replay or filters with it")
        _verify(log_file, fmt)
        return
    try:
        lo = parse_when(since) if since else None
        hi = parse_when(until, end=True) if until else None
    except TriageError as exc:
        raise UsageFailure(str(exc)) from None

    def warn(message: str) -> None:
        click.echo(printable(f"warning: {message}"), err=True)

    try:
        entries = list(select(read_log(log_file, warn), rule, disposition, lo, hi))
    except OSError as exc:
        raise UsageFailure(f"cannot read {log_file}: {exc.strerror or exc}") from None
    if do_replay:
        report = replay(entries, load_triage(rules_dir))
        if fmt == "json":
            click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            rb = report["rulebase"]
            say(
                f"replayed {report['records']} record(s) under "
                f"{rb['name']} {rb['version']} ({rb['sha256'][:12]})"
            )
            for c in report["changed"]:
                b, a = c["before"], c["after"]
                say(f"line {c['line']}: {c['time']}: {c['id']}: {_o(b)} -> {_o(a)}")
                if c["now_fires"]:
                    say(f"    now fires: {', '.join(c['now_fires'])}")
                if c["no_longer_fires"]:
                    say(f"    no longer fires: {', '.join(c['no_longer_fires'])}")
            for f in report["failed"]:
                say(f"line {f['line']}: {f['id']}: cannot replay: {f['error']}")
            say(f"{len(report['changed'])} decision(s) would now differ")
        if exit_code and report["changed"]:
            sys.exit(1)
        return
    s = summarise(entries)
    if fmt == "json":
        click.echo(json.dumps(s, ensure_ascii=False, indent=2))
        return
    say(f"{s['records']} record(s)" + (f" from {s['first']} to {s['last']}" if s["first"] else ""))
    if s["dispositions"]:
        say("per disposition:")
        for k, n in s["dispositions"].items():
            say(f"  {k:<28} {n:>7}")
    if s["rules"]:
        say("per rule (records in which it fired):")
        for k, n in s["rules"].items():
            say(f"  {k:<36} {n:>7}")
    if len(s["rulebases"]) > 1:
        say("rule bases:")
        for k, n in s["rulebases"].items():
            say(f"  {k:<36} {n:>7}")


def _verify(log_file: str, fmt: str) -> None:
    """``--verify``: the chain's breaks, one line each; exit 1 if there is one."""
    try:
        report = verify(log_file)
    except OSError as exc:
        raise UsageFailure(f"cannot read {log_file}: {exc.strerror or exc}") from None
    if fmt == "json":
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for b in report["breaks"]:
            say(f"{log_file}: line {b['line']}: {b['problem']}")
        if report["breaks"]:
            n, total = len(report["breaks"]), report["lines"]
            say(f"{log_file}: the chain breaks at {n} of {total} line(s)")
        else:
            say(f"{log_file}: {report['records']} record(s), the chain is whole")
        if report["last_hash"]:
            say(f"last line's hash: {report['last_hash']}")
    if report["breaks"]:
        sys.exit(1)


def say(line: str) -> None:
    """A line of the text report: what the log holds came from anywhere, so it is escaped."""
    click.echo(printable(line))


def _o(o: dict) -> str:
    return f"{o['disposition']}" + (f" ({o['timeframe']})" if o.get("timeframe") else "")
