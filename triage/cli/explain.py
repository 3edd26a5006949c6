"""``triage explain``: a readable account of one decision (MYCIN's HOW and WHY, CLIPS' matches)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from ..audit import is_log
from ..cases import Case, CaseError, iter_cases, validate_case
from ..explain import HOLDS, explain_case, render_text
from ..printable import printable
from .common import UsageFailure, load_triage, rules_option

if TYPE_CHECKING:
    from ..knowledge import RuleBase


@click.command()
@click.argument("case_file")
@click.option(
    "--case", "case_id", default=None, help="The case to explain, when the file holds several."
)
@click.option(
    "--line",
    "log_line",
    type=click.IntRange(min=1),
    default=None,
    help="CASE_FILE is an audit log: explain the decision on this line.",
)
@click.option(
    "--id",
    "decision_id",
    default=None,
    help="CASE_FILE is an audit log: explain the decision with this decision_id.",
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
    "--brief",
    is_flag=True,
    help="Only the answer: the disposition, or with --why-not the one line saying why not.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@rules_option
def explain(
    case_file: str,
    case_id: str | None,
    log_line: int | None,
    decision_id: str | None,
    why_not: str | None,
    brief: bool,
    fmt: str,
    rules_dir: str | None,
) -> None:
    """Explain the decision for one case of CASE_FILE ('-' for JSON Lines on stdin).

    Shows the disposition, every rule that fired in order (id, title, sources, the answers it
    matched, what it concluded), and each question the interview would ask, with why. With
    --why-not, the answer comes first, in one line (its "answer" in the JSON), and the rules
    behind it last; --brief shows the answer alone.

    CASE_FILE may be an audit log (--audit-log): --line N or --id DECISION_ID picks the
    decision, whose answers are explained under the current rule base, with what the log
    recorded (a note says so when the decision would now differ).

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
    logged: dict[str, Any] | None = None
    if log_line is not None or decision_id is not None:
        if case_id is not None or (log_line is not None and decision_id is not None):
            raise UsageFailure("choose one decision: --line or --id (--case is for case files)")
        items, logged = _from_log(case_file, log_line, decision_id, rb)
    elif case_file != "-" and is_log(case_file):
        raise UsageFailure(
            f"{case_file} is an audit log: choose a decision with --line N or --id DECISION_ID"
        )
    else:
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
    answer = decision_line(data)
    if "why_not" in data:
        answer = data["why_not"]["answer"] = why_not_answer(data)
    if logged is not None:
        data = {"logged": logged, **data}
        now = (data["disposition"], data["timeframe"])
        if now != (logged["disposition"], logged["timeframe"]):
            click.echo(
                printable(
                    f"note: the log recorded {_outcome(logged)}; under the current rule base "
                    f"the decision is {_outcome(data)}"
                ),
                err=True,
            )
    if fmt == "json":
        shown = {"id": data["id"], "answer": answer} if brief else data
        click.echo(json.dumps(shown, ensure_ascii=False, indent=2))
    elif brief:
        click.echo(printable(answer))
    else:
        if "why_not" in data:  # the answer first
            click.echo(printable(answer) + "\n")
        if logged is not None:
            click.echo(printable(_logged_line(logged)) + "\n")
        click.echo(render_text(data), nl=False)


def decision_line(data: dict[str, Any]) -> str:
    """The decision in one line: "doctor, same_day: See a doctor today"."""
    when = f", {data['timeframe']}" if data["timeframe"] else ""
    return f"{data['disposition']}{when}: {data['label']}"


def why_not_answer(data: dict[str, Any]) -> str:
    """Why this case's outcome is not the --why-not target, in one line, for a reviewer."""
    wn = data["why_not"]
    target = wn["target"]
    outcome = data["disposition"] + (f" ({data['timeframe']})" if data["timeframe"] else "")
    if wn["is_the_outcome"]:
        return f"Why not {target}? It is this case's outcome: {decision_line(data)}."
    rules = wn["rules"]
    if not rules:
        return f"Why not {target}? No rule concludes it; the outcome is {outcome}."
    for state in ("fired", "softened"):
        for r in rules:
            if r["state"] == state:
                return f"Why not {target}? {r['rule']} {r['summary']}."

    def distance(r: dict[str, Any]) -> tuple[int, int]:  # the fewest not met, the most met
        held = sum(c["status"] == HOLDS for c in r["conditions"])
        return len(r["conditions"]) - held, -held

    closest = min(rules, key=distance)
    missing = [c["text"] for c in closest["conditions"] if c["status"] != HOLDS]
    return (
        f"Why not {target}? None of the {len(rules)} rule(s) concluding it fired (the outcome "
        f"is {outcome}); the closest, {closest['rule']}, needs: {'; '.join(missing)}."
    )


def _from_log(
    path: str, line: int | None, decision_id: str | None, rb: RuleBase
) -> tuple[list[Case | CaseError], dict[str, Any]]:
    """The decision picked from an audit log, as a case, and what the log says of it."""
    from ..audit import find_decision

    def warn(message: str) -> None:
        click.echo(printable(f"warning: {message}"), err=True)

    try:
        entry = find_decision(path, line, decision_id, warn)
    except OSError as exc:
        raise UsageFailure(f"cannot read {path}: {exc.strerror or exc}") from None
    if entry is None:
        what = f"on line {line}" if line is not None else f"with id {decision_id!r}"
        raise UsageFailure(printable(f"{path}: no decision record {what}"))
    rec = entry.record
    given = rec.get("id")
    case_id = given if isinstance(given, str) else f"line-{entry.line}"
    raw = {"id": case_id, "answers": rec.get("answers")}
    item = validate_case(raw, rb, source=f"{path}:{entry.line}", default_id=case_id)
    disposition, timeframe = entry.outcome
    logged = {
        "file": path,
        "line": entry.line,
        "decision_id": rec.get("decision_id"),
        "time": rec.get("time"),
        "disposition": disposition,
        "timeframe": timeframe,
        "rulebase": rec.get("rulebase"),
    }
    return [item], logged


def _outcome(o: dict[str, Any]) -> str:
    return f"{o['disposition']}" + (f" ({o['timeframe']})" if o.get("timeframe") else "")


def _logged_line(logged: dict[str, Any]) -> str:
    rb = logged.get("rulebase") or {}
    base = f"{rb.get('name')} {rb.get('version')} (sha256 {str(rb.get('sha256'))[:12]})"
    decision = f", decision {logged['decision_id']}" if logged.get("decision_id") else ""
    return (
        f"Logged: {logged['file']} line {logged['line']}, {logged['time']}{decision}: "
        f"{_outcome(logged)} under {base}"
    )
