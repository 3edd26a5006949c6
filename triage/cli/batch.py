"""``triage batch``: evaluate case files, one record per case, in input order."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from collections import Counter
from contextlib import closing, nullcontext
from typing import IO, Any, NoReturn

import click

from ..audit import AuditLog, decision_record
from ..cases import expand_paths, iter_raw_cases
from ..formats import FORMATS, Writer, make_writer
from ..runner import Chunk, WorkerDied, chunk_size, evaluate_chunks
from .audit import audit_log_option
from .common import UsageFailure, check_region, load_triage, region_option, rules_option
from .progress import Progress
from .termination import Terminated, Termination
from .writing import EXIT_BROKEN_PIPE, EXIT_WRITE_FAILED, Output, open_audit_log, reason

#: Input smaller than this (regular files only) runs in one process unless --jobs says
#: otherwise: it is under one chunk of cases, and starting workers would cost more than
#: they save.
SMALL_INPUT = 128 * 1024


def _small(files: list[Any]) -> bool:
    """Whether every input is a regular file and together they hold under SMALL_INPUT bytes."""
    total = 0
    for f in files:
        if not isinstance(f, str) or f == "-":
            return False
        try:
            st = os.stat(f)
        except OSError:
            continue  # reported when it is read
        if not stat.S_ISREG(st.st_mode):
            return False
        total += st.st_size
        if total >= SMALL_INPUT:
            return False
    return True


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="table (default on a terminal), jsonl (default otherwise), json, csv, or fhir "
    "(a FHIR GuidanceResponse or OperationOutcome per case, one per line).",
)
@click.option(
    "-o",
    "--output",
    "output_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    help="Write records here (default: stdout); never one of the inputs.",
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
    help="Worker processes (default: the number of CPUs, or one for input under 128 KiB); "
    "records keep input order.",
)
@region_option
@rules_option
@audit_log_option
def batch(
    paths: tuple[str, ...],
    fmt: str | None,
    output_path: str,
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
    died, so the run stopped (the records written are whole and in order); 4 writing the
    output or the audit log failed (a full disk, say), so the run stopped (likewise); 141 the
    reader of the output went away (`| head`); 143 terminated.
    """
    # A broken rule base or an unknown region stops here, before any case is read.
    check_region(load_triage(rules_dir), region)
    files = list(expand_paths(paths))
    jobs = jobs or (1 if _small(files) else os.cpu_count() or 1)
    if audit_log:
        _not_an_input(audit_log, f"the audit log {audit_log}", files)
    output = _open_output(output_path, files)
    fmt = fmt or ("table" if output.isatty() else "jsonl")
    log = open_audit_log(audit_log) if audit_log else None
    writer = make_writer(fmt, output)
    sink = Output(output, "standard output" if output_path == "-" else f"output {output_path}")
    # Progress on stderr only when a person watches it and the records go elsewhere.
    progress = Progress(sys.stderr.isatty() and not output.isatty(), files)
    try:
        sink.mark(0)  # a header, or the opening of a JSON array, stays whatever follows
    except OSError as exc:
        _failed(_WriteFailed("output", exc), sink, log, progress)
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
                _write_chunk(writer, sink, progress, log, chunk)
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
    except _WriteFailed as failure:
        _failed(failure, sink, log, progress)
    if term.signum:
        _stop(
            output, log, progress, f"terminated after {progress.count} case(s)", 128 + term.signum
        )
    try:
        writer.close()
    except OSError as exc:
        _failed(_WriteFailed("output", exc), sink, log, progress)
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
    with contextlib.suppress(OSError):
        output.flush()
    if log is not None:
        log.close()
    progress.echo(message)
    sys.exit(status)


class _WriteFailed(Exception):
    """Writing the output or the audit log (``what``) failed with ``error``."""

    def __init__(self, what: str, error: OSError):
        super().__init__(what, error)
        self.what, self.error = what, error


def _open_output(path: str, inputs: list[Any]) -> IO[str]:
    """The output stream, opened once it is known not to be one of the inputs (same device
    and inode): opening it would empty it before it is read, or the run would read its own
    records."""
    _not_an_input(path, f"the output {path}" if path != "-" else "standard output", inputs)
    try:
        stream = click.open_file(path, "w", encoding="utf-8", errors="backslashreplace", lazy=False)
    except OSError as exc:
        raise UsageFailure(f"cannot write output {path}: {reason(exc)}") from None
    if path != "-":
        click.get_current_context().call_on_close(stream.close)
    return stream


def _not_an_input(path: str, name: str, inputs: list[Any]) -> None:
    """Refuse (exit 2) a file to write that is one of the inputs, by device and inode."""
    target = _stat(path, 1)
    if target is None or not stat.S_ISREG(target.st_mode):
        return
    for p in inputs:
        st = _stat(p, 0) if isinstance(p, str) else None
        if st is not None and os.path.samestat(target, st):
            what = f"the input {p}" if p != "-" else "standard input"
            raise UsageFailure(f"{name} is {what}: writing it would destroy it")


def _stat(path: str, fd: int) -> os.stat_result | None:
    """What ``path`` is (``-``: the standard stream ``fd``), or None."""
    try:
        return os.fstat(fd) if path == "-" else os.stat(path)
    except (OSError, ValueError):
        return None


def _failed(
    failure: _WriteFailed, sink: Output, log: AuditLog | None, progress: Progress
) -> NoReturn:
    """End a run whose output or audit log could not be written: one line (none when the
    output's reader went away), the records written whole."""
    sink.cut()
    if log is not None:
        log.close()
    if failure.what == "output" and failure.error.errno == errno.EPIPE:
        sys.exit(EXIT_BROKEN_PIPE)
    where = sink.name if failure.what == "output" else f"audit log {log and log.path}"
    with contextlib.suppress(OSError):
        progress.echo(
            f"error: cannot write {where}: {reason(failure.error)}; "
            f"stopped after {sink.count} case(s)"
        )
    sys.exit(EXIT_WRITE_FAILED)


def _write_chunk(
    writer: Writer, sink: Output, progress: Progress, log: AuditLog | None, chunk: Chunk
) -> None:
    """A chunk's records to the audit log and the output, its notes to stderr.

    The audit log first: a decision in the output is always in the log.
    """
    if log is not None:
        try:
            for record in chunk.records:
                if "error" not in record:
                    log.append(decision_record(record, command="batch"))
        except OSError as exc:
            raise _WriteFailed("audit log", exc) from None
    try:
        if chunk.notes:  # each record, then what was wrong with it
            _write_with_notes(writer, sink.stream, progress, chunk)
        elif writer.encode:
            if chunk.size:
                writer.write_encoded(chunk.data, chunk.size)
        else:
            for record in chunk.records:
                writer.write(record)
        progress.tick(chunk.size, chunk.units)
        sink.mark(progress.count)
    except OSError as exc:
        raise _WriteFailed("output", exc) from None


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
