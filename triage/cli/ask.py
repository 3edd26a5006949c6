"""``triage ask``: the interview, screen by screen, as the engine's rules choose them."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any, cast

import click
import yaml

from ..audit import decision_record
from ..cases import Case, iter_cases
from ..engine import Evaluation, Screen
from ..formats import json_bytes
from ..interview import Interview, command_of, screen_help, screen_title, shown, why
from ..printable import printable
from ..questions import Question
from ..regions import locale_setting, region_for_setting
from ..render import render_details, render_summary
from ..result import build_result
from ..typed import (
    ALL,
    NO,
    NUMBER_WORDS,
    UNSURE,
    YES,
    InputError,
    allowed,
    is_none,
    label,
    normal,
    number_read,
    ordinal,
    parse_typed,
    word_of_choices,
)
from .audit import audit_log_option
from .common import UsageFailure, check_region, load_triage, region_option, rules_option
from .writing import EXIT_WRITE_FAILED, check_writable, open_audit_log, reason, write_whole

EXIT_NO_RESULT = 1
EXIT_INTERRUPTED = 130


class _Quit(Exception):
    """The person typed quit."""


class _EndOfInput(Exception):
    """Standard input ended (Ctrl-D at a terminal, or the end of piped answers)."""


class _Missing(Exception):
    """With --no-input, an answer the interview needs is missing."""


class _Back(Exception):
    """The person asked to go back a screen."""


@click.command()
@click.option(
    "--answers",
    "answers_file",
    type=click.Path(dir_okay=False),
    help="Pre-fill answers from a case file; only what is missing is asked.",
)
@click.option(
    "--case",
    "case_id",
    default=None,
    help="With --answers: the id of the case to use, when the file holds several.",
)
@click.option(
    "--save",
    "save_file",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the interview as a case file that `triage batch` reproduces "
    "(FILE.fhir.json: a FHIR QuestionnaireResponse).",
)
@click.option(
    "--explain",
    is_flag=True,
    help="Add the audit trail: every rule that fired and every question asked (HOW).",
)
@click.option(
    "--no-color", is_flag=True, help="No colour (also NO_COLOR, or when output is not a terminal)."
)
@click.option("--no-pager", is_flag=True, help="Never show the advice through a pager.")
@click.option(
    "--no-input",
    is_flag=True,
    help="Never prompt: fail, naming the question, if an answer is missing.",
)
@region_option
@rules_option
@audit_log_option
def ask(
    answers_file: str | None,
    case_id: str | None,
    save_file: str | None,
    explain: bool,
    no_color: bool,
    no_pager: bool,
    no_input: bool,
    region: str | None,
    rules_dir: str | None,
    audit_log: str | None,
) -> None:
    """Interview a person about back or neck pain, then say what to do and why.

    The most important checks come first, then a few questions about the pain. At any
    prompt: '?' or 'why' says why it is asked, 'back' returns to the previous screen,
    'quit' leaves. Answers may be piped, one screen per line.

    Without --region, the language setting (LANG=en_GB.UTF-8) chooses the country whose
    phone numbers and services the advice gives; the result says which.

    Exit status: 0 a result was given; 1 no result: quit, Ctrl-D or the end of piped
    answers, or --no-input with an answer missing; 2 bad usage, case file or rule base, or
    a --save or --audit-log path that cannot be written (checked before the first question);
    4 the result was given, but writing --save or --audit-log failed; 130 interrupted by
    Ctrl-C. With --save, the answers given so far are saved when there is no result.
    """
    triage = load_triage(rules_dir)
    check_region(triage, region)
    region, where = _region(triage, region)
    color = not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()
    ui = _Terminal(triage, color)
    interview = Interview(triage)
    name, note = "interview", None
    loaded = ""
    if answers_file:
        case = _prefill(answers_file, case_id, triage)
        interview.answers.update(case.answers)
        name, note = case.id, case.note
        progress = interview.evaluate().progress
        loaded = printable(
            f"Loaded {len(case.answers)} answer(s) from {answers_file}"
            + (f"; carrying on from step {progress.step}." if progress.left else ".")
        )
    if save_file:
        name = Path(save_file).stem
        check_writable(save_file, "--save file")  # before the first question
    log = open_audit_log(audit_log) if audit_log else None
    try:
        if loaded:
            click.echo(loaded)
        ev = _run(interview, ui, no_input)
    except (KeyboardInterrupt, click.exceptions.Abort):
        _stop(save_file, interview, name, note, "\nInterview stopped")
        sys.exit(EXIT_INTERRUPTED)
    except _EndOfInput:
        what = "standard input is closed" if sys.stdin is None else "end of input"
        if sys.stdin is not None and sys.stdin.isatty():
            what = "Ctrl-D, end of input"
        _stop(save_file, interview, name, note, f"\nInterview ended without a result ({what})")
        sys.exit(EXIT_NO_RESULT)
    except _Quit:
        _stop(save_file, interview, name, note, "Interview ended without a result")
        sys.exit(EXIT_NO_RESULT)
    except _Missing as exc:
        _stop(save_file, interview, name, note, f"error: {exc}")
        sys.exit(EXIT_NO_RESULT)
    except OSError:  # the terminal or the reader went away: still keep what was typed
        _attempt(lambda: _save(save_file, interview, name, note, None))
        raise
    built = build_result(
        ev,
        triage.rulebase,
        case_id=name,
        source=answers_file or "interview",
        note=note,
        asked=interview.asked,
        region=region,
    )
    record = cast("dict[str, Any]", built)  # a plain dict for the readers below
    # The person sees the result before anything that could still fail (writing files); then
    # each write, whatever the others did: a failure is one line, and exit status 4.
    try:
        ui.result(record, explain=explain, pager=not no_pager, where=where)
        shown_to = None
    except OSError as exc:  # no one to show it to (stdout closed): still save and log it
        shown_to = exc
    failed = []
    failure = _attempt(lambda: _save(save_file, interview, name, note, record))
    if failure is not None:
        failed.append(f"cannot save the answers to {save_file}: {reason(failure)}")
    if log is not None:
        failure = _attempt(lambda: log.append(decision_record(record, command="ask")))
        log.close()
        if failure:
            failed.append(f"cannot write audit log {audit_log}: {reason(failure)}")
    for line in failed:
        click.echo(printable(f"error: {line}"), err=True)
    if shown_to is not None:
        raise shown_to
    if failed:
        sys.exit(EXIT_WRITE_FAILED)


def _region(triage: Any, given: str | None) -> tuple[str, str]:
    """The region whose numbers the advice gives (``--region``, else the one the locale
    chooses, else the rule base's default) and a line saying so, and how to change it."""
    regions = triage.rulebase.plans.regions
    setting = locale_setting(os.environ)
    if given is not None:
        chosen, how = given, ""
    elif setting is not None and region_for_setting(regions, setting[1]) is not None:
        chosen = region_for_setting(regions, setting[1]) or ""
        how = f" (from your language setting, {setting[0]}={setting[1][:40]})"
    else:
        chosen = triage.rulebase.plans.default_region
        how = " (your language setting does not say which)"
    others = [r for r in regions if r != chosen]
    change = ", ".join(others[:-1]) + f" or {others[-1]}" if len(others) > 1 else "".join(others)
    line = f"Phone numbers and services are for: {regions[chosen].name}{how}."
    if change:
        line += f" For another country, start again with --region {change}."
    return chosen, printable(line)


def _attempt(write: Any) -> OSError | None:
    """Run ``write``; the ``OSError`` it raised, if any."""
    try:
        write()
    except OSError as exc:
        return exc
    return None


def _stop(
    save_file: str | None, interview: Interview, name: str, note: str | None, why: str
) -> None:
    """Leave without a result, saving the answers given so far first: nothing typed is lost."""
    exc = _attempt(lambda: _save(save_file, interview, name, note, None))
    saved = printable(f"; answers so far saved to {save_file}") if save_file else ""
    if exc is not None:
        click.echo(f"{why}.", err=True)
        message = f"error: cannot save the answers so far to {save_file}: {reason(exc)}"
        click.echo(printable(message), err=True)
        sys.exit(EXIT_WRITE_FAILED)
    click.echo(f"{why}{saved}.", err=True)


def _run(interview: Interview, ui: _Terminal, no_input: bool) -> Evaluation:
    """Ask the screens the engine needs until the result is final; the final evaluation."""
    while True:
        ev = interview.evaluate()
        screen = ev.screen
        if screen is None:
            return ev
        if no_input:
            ids = ", ".join(q.id for q in screen.questions)
            raise _Missing(f"answer needed for {ids}; give it with --answers FILE")
        try:
            values = ui.ask(screen, ev, interview)
        except _Back:
            if interview.back() is None:
                click.echo("    There is no earlier question to go back to.")
            else:
                click.echo("    Going back.")
            continue
        interview.give(ev, values)


class _Terminal:
    """Screens and results at a terminal (or a pipe), wrapped to its width."""

    def __init__(self, triage: Any, color: bool):
        self.triage = triage
        self.color = color
        size = shutil.get_terminal_size((80, 24))
        self.width = max(40, min(size.columns, 100)) - 2
        self.rows = size.lines

    def echo(self, text: str = "", indent: int = 0, bold: bool = False, hang: int = 0) -> None:
        """``text`` wrapped to the terminal, ``indent`` spaces in; ``hang`` more after the first
        line (for numbered items)."""
        line = click.wrap_text(
            text,
            self.width,
            initial_indent=" " * indent,
            subsequent_indent=" " * (indent + hang),
            preserve_paragraphs=False,
        )
        click.echo(click.style(line, bold=bold) if bold else line, color=self.color)

    def wrap(self, text: str, indent: int = 0) -> str:
        """``text`` wrapped to the terminal's width."""
        return click.wrap_text(
            text,
            self.width,
            initial_indent=" " * indent,
            subsequent_indent=" " * indent,
            preserve_paragraphs=False,
        )

    def item(self, n: int, text: str) -> None:
        self.echo(f"{n}) {text}", indent=2, hang=len(f"{n}) "))

    def read(self) -> str:
        """One line typed after the prompt; Ctrl-D or the end of piped input ends it."""
        if sys.stdin is None:  # closed (`<&-`): no answer can come
            raise _EndOfInput
        try:
            text = input("> ") if sys.stdin.isatty() else _piped("> ")
        except EOFError:
            raise _EndOfInput from None
        return text

    def ask(self, screen: Screen, ev: Evaluation, interview: Interview) -> dict[str, Any]:
        """Show one screen and read its answers until they are valid."""
        p = screen.progress
        click.echo("")
        self.echo(f"Step {p.step} of about {p.total}")
        self.echo(screen_title(screen), bold=True)
        if screen_help(screen):
            self.echo(screen_help(screen), indent=2)
        if len(screen.questions) > 1:
            return self._checklist(screen, ev, interview)
        return self._single(screen.questions[0], ev, interview)

    def _single(self, q: Question, ev: Evaluation, interview: Interview) -> dict[str, Any]:
        if q.type in ("choice", "multi"):
            for i, v in enumerate(q.values, 1):
                self.item(i, label(q, v))
        earlier = interview.undone.get(q.id)
        if earlier is not None:
            self.echo(f"Your earlier answer: {shown(q, earlier)}. Press Enter to keep it.", 2)
        self.echo(_how(q) + " (? why, back, quit)", indent=2)
        asked: InputError | None = None  # the last "did you mean ...?", which "yes" answers
        while True:
            text = self.read()
            if not text.strip() and earlier is not None:
                return {q.id: earlier}
            command = command_of(text)
            if command == "back" and word_of_choices(q, text):
                command = None  # "back" at "Where is your pain?": which back? (parse asks)
            if command == "why":
                for line in why(ev, q, self.triage.rulebase):
                    self.echo(line, indent=4)
                continue
            self._command(command)
            try:
                value = parse_typed(q, text, after=asked)
            except InputError as exc:
                asked = exc if exc.answer is not None or exc.values else None
                hint = " (To go to the previous question, type 'go back'.)"
                self.echo(f"Sorry: {exc}.{hint if command_of(text) else ''}", indent=4)
                continue
            self._read_as(q, text, value)
            return {q.id: value}

    def _read_as(self, q: Question, text: str, value: Any) -> None:
        """Say how an answer was read when it was not typed plainly: "10 days" is 1.43 weeks,
        "6-7" is 7, "pain down my leg" is "Pain spreading into an arm or leg"."""
        if q.type in ("integer", "number"):
            how = number_read(q, text)[1]
            if how:
                self.echo(f"That is {shown(q, value)}: {how}.", indent=4)
            elif _has_unit(text):  # "10 days", "forty five"
                self.echo(f"That is {shown(q, value)}.", indent=4)
        elif q.type in ("choice", "multi") and not _plainly(q, text, value):
            self.echo(f"Noted: {shown(q, value) or 'none'}.", indent=4)

    def _checklist(self, screen: Screen, ev: Evaluation, interview: Interview) -> dict[str, Any]:
        qs = screen.questions
        for i, q in enumerate(qs, 1):
            # What counts ("a fall from more than about 1 metre") in the item's own lines.
            text = q.item or q.prompt
            self.item(i, f"{_sentence(text)} {q.help}" if q.help else text)
        earlier = {q.id: interview.undone[q.id] for q in qs if q.id in interview.undone}
        if earlier:
            self.echo(
                f"Your earlier answers: {_summary(qs, earlier)}. Press Enter to keep them.", 2
            )
        self.echo(
            "Type the numbers of any you have (for example: 2 5), or 'none'. "
            "Put ? after a number you are not sure about (for example: 3?). "
            "(why, why 3, back, quit)",
            indent=2,
        )
        while True:
            text = self.read()
            if not text.strip() and len(earlier) == len(qs):
                return earlier
            low = normal(text)
            m = re.fullmatch(r"(?:why|\?)\s*(\d+)", low)
            if m and 1 <= int(m.group(1)) <= len(qs):
                for line in why(ev, qs[int(m.group(1)) - 1], self.triage.rulebase):
                    self.echo(line, indent=4)
                continue
            command = command_of(text)
            if command == "why":
                for i, q in enumerate(qs, 1):
                    self.echo(f"{i}) {q.why}", indent=4, hang=len(f"{i}) "))
                continue
            self._command(command)
            try:
                values = checklist_answers(qs, text)
            except InputError as exc:
                self.echo(f"Sorry: {exc}.", indent=4)
                continue
            self.echo(f"Noted: {_summary(qs, values)}.", indent=4)
            return values

    def _command(self, command: str | None) -> None:
        if command == "back":
            raise _Back
        if command == "quit":
            raise _Quit

    def result(self, record: dict[str, Any], *, explain: bool, pager: bool, where: str) -> None:
        """The decision first, then the rest; and on a terminal too short for it all, the rest
        paged from the top (the decision on the first page), then the decision and the next
        step again, so that they are what stays on the screen when the interview ends."""
        rb = self.triage.rulebase
        where = self.wrap(where)
        summary = render_summary(record, width=self.width) + "\n\n" + where
        rest = render_details(record, rb, explain=explain, width=self.width)
        whole = f"\n{summary}\n{rest}"
        if not sys.stdout.isatty() or whole.count("\n") + 2 <= self.rows:
            click.echo(whole, color=self.color)
            return
        if pager:
            os.environ.setdefault("LESS", "-RXF")  # keep the text on screen after quitting
            click.echo_via_pager(whole, color=self.color)
        else:
            click.echo(whole, color=self.color)
        if summary.count("\n") + 3 > self.rows:  # too short for the reason too
            summary = render_summary(record, width=self.width, why=False) + "\n\n" + where
        click.echo("\n" + summary, color=self.color)


def _piped(prompt: str) -> str:
    """A line of piped input, echoed after its prompt so that a transcript reads as typed."""
    click.echo(prompt, nl=False)
    line = sys.stdin.readline()
    if not line:
        click.echo("")
        raise EOFError
    click.echo(line.rstrip("\n"))
    return line.rstrip("\n")


def _how(q: Question) -> str:
    """What to type, once."""
    if q.type == "yesno":
        return "Type y (yes), n (no) or u (not sure)."
    if q.type == "choice":
        return "Type a number or a name."
    if q.type == "multi":
        return "Type the numbers or names of all that apply, or 'none'."
    if q.type == "number" and q.unit == "weeks":
        return "Type a number of weeks, or for example 3 days or 2 months."
    return f"Type {allowed(q)}."


def _sentence(text: str) -> str:
    """``text`` ending as a sentence, so that more can follow it."""
    return text if text.endswith((".", "?", "!")) else text + "."


def _plainly(q: Question, text: str, value: Any) -> bool:
    """Whether a choice was typed as shown: its numbers, or its labels in full."""
    low = normal(text)
    if re.fullmatch(r"[\d ,]*", low):
        return True
    picked = value if isinstance(value, tuple) else (value,)
    return all(label(q, v).lower() in low or v in low for v in picked)


def _has_unit(text: str) -> bool:
    return bool(re.search(r"[a-z]", normal(text)))


# What a checklist answer is read as, token by token, left to right (linear, as in typed.py).
_CHECKLIST_TOKENS = re.compile(r"not sure|don't know|dont know|\d+\s*\?|[^\s,;]+")
_CHECKLIST_FILLER = frozenset(
    {"the", "about", "of", "to", "for", "on", "with", "and", "&", "number", "numbers", "item"}
    | {"items", "just", "only", "i", "have", "am", "also", "plus", "then"}
)


def checklist_answers(qs: tuple[Question, ...], text: str) -> dict[str, str]:
    """A checklist's answers from what was typed: the numbers that apply (yes), those marked
    not sure ("3?", "not sure about 3"), and no for the rest; or 'none' (also "0", "nonee")
    for no to every one. Numbers may be words or ordinals ("two", "the first one")."""
    low = normal(text)
    if is_none(low):
        return {q.id: "no" for q in qs}
    if low in ALL - {"both", "both of them"}:
        return {q.id: "yes" for q in qs}
    if low in YES or low in ALL:
        raise InputError("which ones? Please type their numbers, for example 2 5")
    if low in UNSURE:
        raise InputError("which ones are you not sure about? Type their numbers with ?, e.g. 3?")
    values = {q.id: "no" for q in qs}
    mode = "yes"
    tokens = _CHECKLIST_TOKENS.findall(low)
    for i, token in enumerate(tokens):
        if token in UNSURE or token in ("not sure", "don't know", "dont know"):
            mode = "unsure"
            continue
        if token in YES or token in NO:
            mode = "yes" if token in YES else "no"
            continue
        if token in _CHECKLIST_FILLER or (token == "one" and i and ordinal(tokens[i - 1])):
            continue  # "not sure about 1", "the first one"
        m = re.fullmatch(r"(\d+)\s*(\?)?", token)
        sure = token.rstrip("?")
        n = int(m.group(1)[:6]) if m else ordinal(sure) or NUMBER_WORDS.get(sure)
        if n is None:
            raise InputError(f"{token!r} is not a number from 1 to {len(qs)}")
        if not 1 <= n <= len(qs):
            raise InputError(f"there is no {n}; please choose numbers from 1 to {len(qs)}")
        values[qs[n - 1].id] = "unsure" if token.endswith("?") else mode
    return values


def _summary(qs: tuple[Question, ...], values: dict[str, Any]) -> str:
    """Checklist answers in a line: "yes to 2; not sure about 3; no to the rest"."""
    parts = []
    for value, words in (("yes", "yes to"), ("unsure", "not sure about")):
        nums = [str(i) for i, q in enumerate(qs, 1) if values.get(q.id) == value]
        if nums:
            parts.append(f"{words} {', '.join(nums)}")
    if any(values.get(q.id) == "no" for q in qs):
        parts.append("no to the rest" if parts else "no to all of these")
    return "; ".join(parts)


def _prefill(path: str, case_id: str | None, triage: Any) -> Case:
    items: list[Case] = []
    for item in iter_cases([path], triage.rulebase):
        if not isinstance(item, Case):
            raise UsageFailure(item.line())
        items.append(item)
    if not items:
        raise UsageFailure(f"{path}: no case")
    if case_id is not None:
        for item in items:
            if item.id == case_id:
                return item
        ids = ", ".join(item.id for item in items)
        raise UsageFailure(f"{path}: no case {case_id!r}; the cases are: {ids}")
    if len(items) > 1:
        ids = ", ".join(item.id for item in items[:10])
        raise UsageFailure(f"{path} holds {len(items)} cases ({ids}); choose one with --case ID")
    return items[0]


def _save(
    path: str | None,
    interview: Interview,
    name: str,
    note: str | None,
    record: dict[str, Any] | None,
) -> None:
    """Write the answers as a case file (YAML, JSON for a ``.json`` name, or a FHIR
    QuestionnaireResponse for ``.fhir.json``); with a result, its expectation too."""
    if not path:
        return
    if path.lower().endswith(".fhir.json"):  # a FHIR QuestionnaireResponse (docs/fhir.md)
        from ..fhir.responses import response_json

        status = "in-progress" if record is None else "completed"
        text = response_json(
            interview.triage.rulebase, interview.answers, case_id=name, status=status
        )
        write_whole(path, text.encode("utf-8"))
        return
    doc: dict[str, Any] = {"id": name}
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
    if path.lower().endswith(".json"):  # batch reads a .json file as JSON
        write_whole(path, json_bytes(doc, indent=True) + b"\n")
        return
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    write_whole(path, text.encode("utf-8"))
