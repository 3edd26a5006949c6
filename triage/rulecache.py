"""The parsed rule files, kept between runs, so a command need not parse YAML to start.

Parsing the rule files' YAML (safely, in Python: see documents.py) is most of the time that
loading a rule base takes, and every command loads one. So once a rule base has loaded and
passed validation, the documents its files parsed to are written as JSON to a cache entry
named by the rule base's sha256 (of every file's name and bytes, as each result names it) and
by the versions of this program and of the parser. The next run reads its files and hashes
them as always; if that entry exists, it reads the documents from it (orjson, about a
hundredth of the time), and validation runs on them just as on freshly parsed ones. So an
entry holds data only, never code, and a change to any byte of any file is another entry.

The entry is as trusted as the rule files, so the cache directory must be as private: it is
made readable by its owner only, and one that belongs to someone else or that others may
write to is not used. Each entry begins with the sha256 of its name and content, so an entry
changed by accident (or copied under another name) is not used either.

Anything wrong with the cache is the same as no cache: an entry that cannot be read, is not a
regular file, is too large or does not check is ignored (and written again); a cache that
cannot be written (a read-only home, a full disk) is simply not written. Documents that JSON
cannot hold exactly (a YAML date, a number too large) are not cached at all.

Where: ``$TRIAGE_CACHE_DIR``, else ``$XDG_CACHE_HOME/triage``, else ``~/.cache/triage``;
``TRIAGE_CACHE_DIR=off`` turns it off. The ``KEEP`` newest entries are kept; nothing else in
the directory is ever removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

#: Bump when what the documents parse to changes (documents.py, the loader's settings).
FORMAT = 2
#: Entries kept; older ones are removed when a new one is written.
KEEP = 32
#: An entry larger than this is not read (the rule files themselves are limited to 4 MiB each).
MAX_ENTRY_BYTES = 64 * 2**20
#: What an entry's name looks like: only such files are ever pruned.
_ENTRY = re.compile(r"[0-9a-f]{64}-[A-Za-z0-9._+-]+\.json")
#: A temporary file left by a writer that died; removed once it is this old (seconds).
_STALE = 3600


def cache_dir() -> Path | None:
    """Where entries live, or None when the cache is off or there is no home to put it in."""
    chosen = os.environ.get("TRIAGE_CACHE_DIR")
    if chosen is not None:
        if chosen in ("", "off"):
            return None
        return Path(os.path.abspath(os.path.expanduser(chosen)))
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):  # a relative one is to be ignored, says XDG
        return Path(xdg) / "triage"
    home = os.path.expanduser("~")
    return None if home == "~" else Path(home) / ".cache" / "triage"


def _entry(digest: str, parser: str) -> Path | None:
    root = cache_dir()
    if root is None:
        return None
    from . import __version__

    return root / f"{digest}-{__version__}-{parser}-{FORMAT}.json"


def _private(root: Path) -> bool:
    """Whether ``root`` is a directory of ours that nobody else may write to (POSIX)."""
    st = os.stat(root)  # (a symbolic link to a directory of ours is as good)
    if not stat.S_ISDIR(st.st_mode):
        return False
    if os.name != "posix":
        return True
    return st.st_uid == os.geteuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _check(path: Path, content: bytes) -> bytes:
    """The line an entry begins with: the sha256 of its name and content."""
    return hashlib.sha256(path.name.encode() + b"\0" + content).hexdigest().encode() + b"\n"


def load(digest: str, parser: str, names: list[str]) -> dict[str, Any] | None:
    """The documents of the rule base ``digest`` parsed by ``parser`` (a version), one per
    file name of ``names``; None when there is no usable entry."""
    path = _entry(digest, parser)
    if path is None:
        return None
    try:
        if not _private(path.parent):
            return None
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_ENTRY_BYTES:
                return None  # a FIFO would wait for ever, /dev/zero never end
            data = fh.read(MAX_ENTRY_BYTES + 1)
        check, _, content = data.partition(b"\n")
        if check + b"\n" != _check(path, content):
            return None
        docs = orjson.loads(content)
    except Exception:  # whatever it is (a vanished file, a bad entry): parse instead
        return None
    if not isinstance(docs, dict) or sorted(docs) != sorted(names):
        return None
    return docs


def encode(docs: dict[str, Any]) -> bytes | None:
    """Freshly parsed documents as an entry's content (before validation, which may take them
    apart); None if JSON cannot hold them exactly."""
    try:
        data = orjson.dumps(docs)
    except orjson.JSONEncodeError:  # a key that is no string, a lone surrogate
        return None
    return data if orjson.loads(data) == docs else None  # a date would come back a string


def store(digest: str, parser: str, content: bytes) -> None:
    """Keep an entry (``encode``) of a rule base that loaded and validated; never raises."""
    path = _entry(digest, parser)
    if path is None:
        return
    tmp = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(path.parent):
            return
        # A new file of our own (never one planted there), renamed into place whole, so that
        # whoever else reads or writes the same entry at the same time sees all or nothing.
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(_check(path, content) + content)
        os.replace(tmp, path)
        tmp = None
    except Exception:
        return
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _prune(path.parent)


def _prune(root: Path) -> None:
    """Remove all but the ``KEEP`` newest entries, and temporary files left long ago; nothing
    else that may be in the directory."""
    with contextlib.suppress(OSError):
        entries = []
        now = time.time()
        for p in root.iterdir():
            if _ENTRY.fullmatch(p.name):
                entries.append((p.stat().st_mtime, p))
            elif p.name.startswith(".tmp-") and now - p.stat().st_mtime > _STALE:
                p.unlink(missing_ok=True)
        for _, p in sorted(entries)[:-KEEP]:
            p.unlink(missing_ok=True)
