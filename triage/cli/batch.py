"""``triage batch``: evaluate case files, one record per case, in input order."""

from __future__ import annotations

import os
import sys
from collections import Counter
from contextlib import closing, nullcontext
from typing import IO, NoReturn

import click

from ..audit import AuditLog, decision_record
from ..cases import expand_paths, iter_raw_cases
from ..formats import FORMATS, Writer, make_writer
from ..runner import Chunk, WorkerDied, chunk_size, evaluate_chunks
from .audit import audit_log_option
from .common import UsageFailure, check_region, load_triage, region_option, rules_option
from .progress import Progress
from .termination import Terminated, Termination


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="table (default on a terminal), jsonl (default otherwise), json or csv.",
)
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8", errors="backslashreplace", lazy=False),
    default="-",
    help="Write records here (default: stdout).",
)
@click.option(
    "--check", is_flag=True, help="Compare each case with its `expect`; report every mismatch."
)
@click.option(
    "--strict", is_flag=True, help="A missing answer is an error instead of complete: false."
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 256),
    default=None,
    help="Worker processes (default: the number of CPUs); records keep input order.",
)
@region_option
@rules_option
@audit_log_option
def batch(
    paths: tuple[str, ...],
    fmt: str | None,
    output: IO[str],
    check: bool,
    strict: bool,
    jobs: int | None,
    region: str | None,
    rules_dir: str | None,
    audit_log: str | None,
) -> None:
    """Evaluate case files: YAML, JSON, JSON Lines, directories (recursively), '-' for stdin.

    Writes one record per case, in input order, to stdout (messages go to stderr). An invalid
    case gets an error record naming the file, the case and the field; the others still run.

    Exit status: 0 every case evaluated (and, with --check, as expected); 1 some case was
    invalid, or a --check mismatch; 2 bad usage or a broken rule base; 3 a worker process
    died, so the run stopped (the records written are whole and in order); 143 terminated.
    """
    # A broken rule base or an unknown region stops here, before any case is read.
    check_region(load_triage(rules_dir), region)
    fmt = fmt or ("table" if output.isatty() else "jsonl")
    jobs = jobs or os.cpu_count() or 1
    try:
        log = AuditLog(audit_log).open() if audit_log else None
    except OSError as exc:
        raise UsageFailure(f"cannot write audit log {audit_log}: {exc.strerror}") from None
    writer = make_writer(fmt, output)
    # Progress on stderr only when a person watches it and the records go elsewhere.
    files = list(expand_paths(paths))
    progress = Progress(sys.stderr.isatty() and not output.isatty(), files)
    parallel = jobs > 1
    # With workers, JSON Lines go to them in blocks of lines, split into cases there.
    block = chunk_size(jobs) if parallel else 0
    items = progress.watch(
        files, lambda f: iter_raw_cases([f], stdin=sys.stdin, parse=False, block=block)
    )
    term = Termination()
    # Workers encode the records; only what the writer reads comes back, unless the audit log
    # needs whole records.
    keep = None if log is not None else (() if writer.encode else writer.reads)
    chunks = evaluate_chunks(
        term.watch(items) if parallel else items,
        rules_dir,
        jobs=jobs,
        strict=strict,
        check=check,
        encode=writer.encode,
        keep=keep,
        region=region,
    )
    tally = Counter[str]()
    try:
        # Without workers, SIGTERM keeps its default: there is nothing to clean up.
        with term.handling() if parallel else nullcontext(), closing(chunks):
            for chunk in chunks:
                if term.signum:
                    break
                _write_chunk(writer, output, progress, log, chunk)
                tally.update(
                    errors=chunk.errors,
                    checked=chunk.checked,
                    failed=chunk.failed,
                    mismatches=chunk.mismatches,
                )
    except WorkerDied as exc:
        if not term.signum:  # (a SIGTERM to the whole process group ends workers too)
            message = f"error: {exc}; stopped after {progress.count} case(s)"
            _stop(output, log, progress, message, 3)
    except Terminated:
        pass
    if term.signum:
        _stop(
            output, log, progress, f"terminated after {progress.count} case(s)", 128 + term.signum
        )
    writer.close()
    progress.done()
    if log is not None:
        log.close()
    errors, checked, failed, mismatches = (
        tally[k] for k in ("errors", "checked", "failed", "mismatches")
    )
    if check:
        click.echo(
            f"checked {checked} case(s) with expectations: {checked - failed} ok, "
            f"{failed} failed ({mismatches} mismatch(es)), {errors} invalid",
            err=True,
        )
    elif errors:
        click.echo(f"{errors} case(s) invalid", err=True)
    if errors or mismatches:
        sys.exit(1)


def _stop(
    output: IO[str], log: AuditLog | None, progress: Progress, message: str, status: int
) -> NoReturn:
    """End a run that stopped early: the records written are whole and in order, but a JSON
    array is left open and no summary follows, so the output cannot pass for complete."""
    output.flush()
    if log is not None:
        log.close()
    progress.echo(message)
    sys.exit(status)


def _write_chunk(
    writer: Writer, output: IO[str], progress: Progress, log: AuditLog | None, chunk: Chunk
) -> None:
    """A chunk's records to the output (and the audit log), its notes to stderr."""
    if chunk.notes:  # each record, then what was wrong with it
        _write_with_notes(writer, output, progress, chunk)
    elif writer.encode:
        if chunk.size:
            writer.write_encoded(chunk.data, chunk.size)
    else:
        for record in chunk.records:
            writer.write(record)
    progress.tick(chunk.size, chunk.units)
    if log is not None:
        for record in chunk.records:
            if "error" not in record:
                log.append(decision_record(record, command="batch"))


def _write_with_notes(writer: Writer, output: IO[str], progress: Progress, chunk: Chunk) -> None:
    """Write a chunk record by record, each followed on stderr by its notes, as one worker would."""
    notes = iter(chunk.notes)
    note = next(notes, None)
    for index in range(chunk.size):
        if writer.encode:
            writer.write_encoded(chunk.parts[index], 1)
        else:
            writer.write(chunk.records[index])
        if note is not None and note[0] == index:
            output.flush()
            while note is not None and note[0] == index:
                progress.echo(note[1])
                note = next(notes, None)
