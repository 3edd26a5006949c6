"""The spool directory of a parallel ``triage batch``, and the clearing of those that dead runs
left behind.

The spool holds result records, with people's answers, while they pass from the workers to the
writer. A run removes its spool when it ends, whatever the way out, but a run killed outright
(SIGKILL, a power cut) cannot. So each run holds an exclusive ``flock`` on a file in its spool
for as long as it (or a worker it forked) lives: the kernel drops that lock when the last of
them dies, however they die. Each new run first removes every spool of the same user whose lock
it can take: those of dead runs only, whatever their process ids (which another machine or
container sharing the temporary directory could reuse).

A spool becomes visible under its name (``triage-batch-*``) only once its lock is held: it is
made under another name and renamed, so a run starting at that moment never takes a live one
for a dead one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from contextlib import ExitStack

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no clearing, a spool is removed at exit
    fcntl = None  # type: ignore[assignment]

PREFIX = "triage-batch-"
LOCK = "owner.lock"


def make_spool(stack: ExitStack) -> str:
    """A new spool directory, owned (locked) until ``stack`` closes, then removed; the stale
    spools of dead runs are removed first. "" if there is no usable temporary directory."""
    try:
        root = tempfile.gettempdir()
        clear_stale(root)
        making = tempfile.mkdtemp(prefix=f".{PREFIX}", dir=root)
    except OSError:  # records then come back through the pool's pipe, only more slowly
        return ""
    stack.callback(shutil.rmtree, making, True)  # (once renamed, nothing is there any more)
    try:
        fd = os.open(os.path.join(making, LOCK), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return ""
    stack.callback(os.close, fd)  # after the removal below: callbacks run last in, first out
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
    path = os.path.join(root, f"{PREFIX}{os.getpid()}-{os.path.basename(making)[-8:]}")
    try:
        os.rename(making, path)
    except OSError:
        return ""
    stack.callback(shutil.rmtree, path, True)
    return path


def clear_stale(root: str) -> list[str]:
    """Remove the spools in ``root`` that this user's dead runs left; the paths removed."""
    if fcntl is None:
        return []
    removed = []
    with contextlib.suppress(OSError), os.scandir(root) as entries:
        for entry in entries:
            if not entry.name.startswith(PREFIX):
                continue
            with contextlib.suppress(OSError):
                if entry.is_symlink() or not entry.is_dir():
                    continue
                if entry.stat(follow_symlinks=False).st_uid != os.getuid():
                    continue
                if _dead(entry.path):
                    removed.append(entry.path)
    return removed


def _dead(path: str) -> bool:
    """The spool's owner is gone (its lock is free): remove it, under the lock, and say so.
    A spool without a lock file is not ours to judge (an older version's, or being removed)."""
    try:
        fd = os.open(os.path.join(path, LOCK), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # its run is alive
        shutil.rmtree(path, ignore_errors=True)
        return True
    finally:
        os.close(fd)
