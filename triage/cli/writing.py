"""Writing the files a person names (``--save``, ``--audit-log``, ``-o``): checked before any
work is done, written whole, and a failure is one line with its own exit status.

A result a person needs is shown before anything that could still fail, so a full disk or a
vanished directory can cost a file, never the result, and never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
import sys
from typing import IO, TYPE_CHECKING, Any, NoReturn

import click

from .common import UsageFailure

if TYPE_CHECKING:  # the audit module loads the engine: imported when a log is opened
    from ..audit import AuditLog

#: Exit status when a write failed after the work was done (full disk, I/O error ...).
EXIT_WRITE_FAILED = 4
#: Exit status when the reader of standard output went away (``| head -1``): 128 + SIGPIPE,
#: what a shell reports for a Unix tool stopped that way. Nothing more is printed.
EXIT_BROKEN_PIPE = 141


def reason(exc: OSError) -> str:
    """An ``OSError`` in a few words, without the file name (the message names it)."""
    if exc.errno == errno.EBADF:  # a standard stream closed by whoever started us
        return "it is closed"
    return exc.strerror or str(exc) or type(exc).__name__


def check_writable(path: str, what: str) -> None:
    """Refuse, before any work, a path that ``write_whole`` could not write (exit 2, one line).

    ``what`` names the file for the message, such as ``--save file``.
    """
    target = os.path.realpath(path)
    try:
        try:
            st = os.stat(target)
        except FileNotFoundError:
            st = None
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(21, "Is a directory")
        if st is not None and not stat.S_ISREG(st.st_mode):  # a device or a pipe
            os.close(os.open(target, os.O_WRONLY | os.O_NONBLOCK))
            return
        if st is not None and not os.access(target, os.W_OK):
            raise PermissionError(13, "Permission denied")
        fd, tmp = _temporary(target)  # the directory takes a new file
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise UsageFailure(f"cannot write {what} {path}: {reason(exc)}") from None


def write_whole(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` whole: a regular file is replaced at once by a new one written
    beside it, so a failure (``OSError``) leaves the old file as it was; a device or a pipe is
    written in place."""
    target = os.path.realpath(path)
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        with open(target, "wb") as fh:
            fh.write(data)
        return
    fd, tmp = _temporary(target)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _temporary(target: str) -> tuple[int, str]:
    """A new file beside ``target``, with the permissions a new file gets (umask applies)."""
    directory, name = os.path.split(target)
    for _ in range(100):
        tmp = os.path.join(directory, f".{name}.{os.urandom(4).hex()}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(17, "File exists", directory)


def open_audit_log(path: str) -> AuditLog:
    """The audit log, opened (created, owner-only) now: an unwritable path fails before any
    decision (exit 2, one line)."""
    from ..audit import AuditLog

    try:
        return AuditLog(path).open()
    except OSError as exc:
        raise UsageFailure(f"cannot write audit log {path}: {reason(exc)}") from None


class Output:
    """The stream records go to, and how far it holds whole records: ``mark`` after each whole
    record or chunk; after a failed write, ``cut`` leaves a regular file with what was marked."""

    def __init__(self, stream: IO[str], name: str):
        self.stream, self.name = stream, name
        self.count = 0  # records whole at the last mark
        self._end: int | None = None  # bytes at the last mark, in a regular file
        with contextlib.suppress(OSError, ValueError):
            fd = stream.fileno()
            if stat.S_ISREG(os.fstat(fd).st_mode):
                self._end = os.lseek(fd, 0, os.SEEK_CUR)

    def mark(self, count: int) -> None:
        """``count`` records are written: flush them, and note where they end."""
        self.stream.flush()
        self.count = count
        if self._end is not None:
            self._end = os.lseek(self.stream.fileno(), 0, os.SEEK_CUR)

    def cut(self) -> None:
        """After a failed write: a regular file is cut back to its last mark (no partial
        record), and what is still buffered goes to the null device."""
        with contextlib.suppress(OSError, ValueError):
            fd = self.stream.fileno()
            if self._end is not None:
                os.ftruncate(fd, self._end)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, fd)
            os.close(null)


class Group(click.Group):
    """The command group: when standard output fails (its reader gone, a full disk), the
    command ends quietly (a closed pipe) or with one line, never with a traceback.

    Files the commands read or write report their own failures; an ``OSError`` that gets
    this far without a file name came from writing a stream.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            try:
                return super().invoke(ctx)
            finally:  # what is still buffered fails here, not at exit
                if sys.stdout is not None and not sys.stdout.closed:
                    sys.stdout.flush()
        except OSError as exc:
            _output_failed(ctx, exc)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """The group's own options; ``--version`` and ``--help`` write as they are parsed."""
        _stand_in_for_closed_streams()
        try:
            return super().parse_args(ctx, args)
        except OSError as exc:
            _output_failed(ctx, exc)


def _stand_in_for_closed_streams() -> None:
    """Standard output or error closed by whoever started us (``>&-``, ``2>&-``): Python then
    has no stream for it (``None``), and what a command writes there would vanish without a
    word (click drops it), or, printed to a missing stderr, land in the output. So each gets
    a stand-in on the null device opened read-only: the descriptor is taken (no file opened
    later becomes "standard output"), and every write fails with ``EBADF``, which ends the
    command as a full disk does: one line (on the other stream, if it is open), exit 4. A
    command that never writes there (``batch -o FILE``) runs as usual."""
    for fd, name in ((1, "stdout"), (2, "stderr")):
        if getattr(sys, name) is not None:
            continue
        null = os.open(os.devnull, os.O_RDONLY)
        try:
            os.fstat(fd)
        except OSError:  # free, as it should be: the stand-in takes it
            os.dup2(null, fd)
            os.close(null)
            null = fd
        raw = open(null, "wb", buffering=0, closefd=False)  # noqa: SIM115
        # write-through: a write fails at once, and nothing is left to fail again at exit
        stream = io.TextIOWrapper(raw, "utf-8", "backslashreplace", write_through=True)
        setattr(sys, name, stream)


def _output_failed(ctx: click.Context, exc: OSError) -> NoReturn:
    """End the command after a failed write: quietly for a closed pipe, else with one line."""
    if exc.filename is not None:
        message = f"error: {exc.filename}: {reason(exc)}"
    else:
        _drop_stdout()
        if exc.errno == errno.EPIPE:
            ctx.exit(EXIT_BROKEN_PIPE)
        message = f"error: cannot write output: {reason(exc)}"
    with contextlib.suppress(OSError):
        click.echo(message, err=True)
    ctx.exit(EXIT_WRITE_FAILED)


def _drop_stdout() -> None:
    """Point standard output at the null device, so that what it still holds fails no more
    (at exit, Python would print a warning and exit with status 120)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
