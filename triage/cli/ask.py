"""``triage ask``: the interview, one question at a time, chosen by the engine's rules."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click
import yaml

from ..audit import decision_record
from ..cases import Case, iter_cases
from ..interview import InputError, Interview, command_of, parse_typed, why
from ..printable import printable
from ..questions import Question
from ..render import render_result
from ..result import build_result
from .audit import audit_log_option
from .common import UsageFailure, load_triage, rules_option
from .writing import EXIT_WRITE_FAILED, check_writable, open_audit_log, reason, write_whole

EXIT_NO_RESULT = 1
EXIT_INTERRUPTED = 130


@click.command()
@click.option(
    "--answers",
    "answers_file",
    type=click.Path(dir_okay=False),
    help="Pre-fill answers from a case file; only what is missing is asked.",
)
@click.option(
    "--save",
    "save_file",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the interview as a case file that `triage batch` reproduces.",
)
@click.option(
    "--explain",
    is_flag=True,
    help="Add the audit trail: every rule that fired and every question asked (HOW).",
)
@click.option(
    "--no-color", is_flag=True, help="No colour (also NO_COLOR, or when output is not a terminal)."
)
@click.option(
    "--no-input",
    is_flag=True,
    help="Never prompt: fail, naming the question, if an answer is missing.",
)
@rules_option
@audit_log_option
def ask(
    answers_file: str | None,
    save_file: str | None,
    explain: bool,
    no_color: bool,
    no_input: bool,
    rules_dir: str | None,
    audit_log: str | None,
) -> None:
    """Interview a person about back or neck pain, then say what to do and why.

    At any prompt: '?' or 'why' explains why the question is asked, 'back' returns to the
    previous question, 'quit' leaves. Answers may be piped, one per line.

    Exit status: 0 a result was given; 1 no result (quit, end of input, or --no-input with an
    answer missing); 2 bad usage, case file or rule base, or a --save or --audit-log path that
    cannot be written (checked before the first question); 4 the result was given, but
    writing --save or --audit-log failed; 130 interrupted (Ctrl-C).
    """
    triage = load_triage(rules_dir)
    color = not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()
    interview = Interview(triage)
    case_id, note = "interview", None
    if answers_file:
        case = _prefill(answers_file, triage)
        interview.answers.update(case.answers)
        case_id, note = case.id, case.note
    if save_file:
        case_id = Path(save_file).stem
        check_writable(save_file, "--save file")  # before the first question
    log = open_audit_log(audit_log) if audit_log else None
    try:
        ev = _run(interview, triage, no_input, color)
    except (click.exceptions.Abort, KeyboardInterrupt, EOFError) as exc:
        interrupted = isinstance(exc, KeyboardInterrupt) or (
            isinstance(exc, click.exceptions.Abort) and not _stdin_at_eof()
        )
        _stop(save_file, interview, case_id, note, "\nInterview stopped")
        sys.exit(EXIT_INTERRUPTED if interrupted else EXIT_NO_RESULT)
    except _Quit:
        _stop(save_file, interview, case_id, note, "Interview ended without a result")
        sys.exit(EXIT_NO_RESULT)
    except OSError:  # the terminal or the reader went away: still keep what was typed
        _attempt(lambda: _save(save_file, interview, case_id, note, None))
        raise
    record = build_result(
        ev,
        triage.rulebase,
        case_id=case_id,
        source=answers_file or "interview",
        note=note,
        asked=interview.asked,
    )
    # The result first: a write that fails must not hide it. Then each write, whatever the
    # others did; a failure is one line, and exit status 4.
    try:
        click.echo("")
        click.echo(render_result(record, explain=explain), color=color)
        shown = None
    except OSError as exc:  # no one to show it to (stdout closed): still save and log it
        shown = exc
    failed = []
    exc = _attempt(lambda: _save(save_file, interview, case_id, note, record))
    if exc is not None:
        failed.append(f"cannot save the answers to {save_file}: {reason(exc)}")
    if log is not None:
        exc = _attempt(lambda: log.append(decision_record(record, command="ask")))
        log.close()
        if exc:
            failed.append(f"cannot write audit log {audit_log}: {reason(exc)}")
    for line in failed:
        click.echo(printable(f"error: {line}"), err=True)
    if shown is not None:
        raise shown
    if failed:
        sys.exit(EXIT_WRITE_FAILED)


def _attempt(write: Any) -> OSError | None:
    """Run ``write``; the ``OSError`` it raised, if any."""
    try:
        write()
    except OSError as exc:
        return exc
    return None


def _stop(
    save_file: str | None, interview: Interview, case_id: str, note: str | None, why: str
) -> None:
    """Leave without a result, saving the answers given so far first: nothing typed is lost."""
    if sys.stdin is None:
        why += " (standard input is closed)"
    exc = _attempt(lambda: _save(save_file, interview, case_id, note, None))
    saved = printable(f"; answers so far saved to {save_file}") if save_file else ""
    if exc is not None:
        click.echo(f"{why}.", err=True)
        message = f"error: cannot save the answers so far to {save_file}: {reason(exc)}"
        click.echo(printable(message), err=True)
        sys.exit(EXIT_WRITE_FAILED)
    click.echo(f"{why}{saved}.", err=True)


class _Quit(Exception):
    """The person typed quit."""


def _run(interview: Interview, triage: Any, no_input: bool, color: bool) -> Any:
    """Ask what the engine needs until the result is final; return the final evaluation."""
    while True:
        ev = interview.evaluate()
        q = ev.next_question
        if q is None:
            return ev
        if no_input:
            raise UsageFailure(
                f"answer needed for '{q.id}' ({q.prompt}); give it with --answers FILE"
            )
        value = _ask_one(q, ev, interview, triage, color)
        if value is _BACK:
            continue
        interview.give(q, value, ev.needs[q.id][0])


_BACK = object()


def _ask_one(q: Question, ev: Any, interview: Interview, triage: Any, color: bool) -> Any:
    """Prompt until the answer is valid or a command is typed."""
    number = len(interview.asked) + 1
    click.echo("")
    click.echo(click.style(f"[{number}] {q.prompt}", bold=True), color=color)
    if q.help:
        click.echo(f"    {q.help}")
    click.echo("    " + _allowed(q))
    while True:
        if sys.stdin is None:  # closed (`<&-`): no answer can come
            raise EOFError
        text = click.prompt("", prompt_suffix="> ", default="", show_default=False)
        command = command_of(text)
        if command == "why":
            for line in why(ev, q, triage):
                click.echo("    " + line)
            continue
        if command == "back":
            undone = interview.back()
            click.echo(
                "    Going back." if undone else "    There is no earlier question to go back to."
            )
            if undone:
                return _BACK
            continue
        if command == "quit":
            raise _Quit()
        try:
            return parse_typed(q, text)
        except InputError as exc:
            click.echo(f"    Sorry: {exc}. Please try again.")


def _allowed(q: Question) -> str:
    tail = "; ? why, back, quit"
    if q.type == "yesno":
        return f"(y = yes, n = no, u = unsure{tail})"
    if q.type in ("integer", "number"):
        return f"({q.describe_allowed()}{tail})"
    sep = "  " if len(q.values) <= 3 else "\n    "
    options = sep.join(f"{i}) {q.labels.get(v, v)}" for i, v in enumerate(q.values, 1))
    how = "one number or name" if q.type == "choice" else "one or more numbers or names, or 'none'"
    return f"{options}\n    ({how}{tail})"


def _prefill(path: str, triage: Any) -> Case:
    items = list(iter_cases([path], triage.rulebase))
    if not items:
        raise UsageFailure(f"{path}: no case")
    first = items[0]
    if not isinstance(first, Case):
        raise UsageFailure(first.line())
    return first


def _save(
    path: str | None,
    interview: Interview,
    case_id: str,
    note: str | None,
    record: dict[str, Any] | None,
) -> None:
    """Write the answers as a case file; with a result, its expectation too."""
    if not path:
        return
    doc: dict[str, Any] = {"id": case_id}
    if note:
        doc["note"] = note
    doc["answers"] = {
        q: list(v) if isinstance(v, tuple) else v for q, v in interview.answers.items()
    }
    if record is not None:
        expect: dict[str, Any] = {"disposition": record["disposition"]}
        if record["timeframe"]:
            expect["timeframe"] = record["timeframe"]
        expect["fired"] = record["fired"]
        doc["expect"] = expect
    write_whole(path, yaml.safe_dump(doc, sort_keys=False, allow_unicode=True).encode("utf-8"))


def _stdin_at_eof() -> bool:
    """Whether click's Abort came from end of input (not Ctrl-C)."""
    try:
        return not sys.stdin.isatty()
    except (ValueError, OSError):
        return True
