"""The parsed rule files, kept between runs, so a command need not parse YAML to start.

Parsing the rule files' YAML (safely, in Python: see documents.py) is most of the time that
loading a rule base takes, and every command loads one. So once a rule base has loaded and
passed validation, the documents its files parsed to are written as JSON to a cache file named
by the rule base's sha256 (of every file's name and bytes, as each result names it) and by the
versions of this program and PyYAML. The next run reads its files and hashes them as always;
if that entry exists, it reads the documents from it (orjson, about a hundredth of the time),
and validation runs on them just as on freshly parsed ones. So the entry holds data only,
never code, and a change to any byte of any file is a different entry.

Anything wrong with the cache is the same as no cache: an entry that cannot be read or is not
the JSON written is ignored (and written again), and a cache that cannot be written (a
read-only home, a full disk) is simply not written. Documents JSON cannot hold exactly (a YAML
date, a number too large) are not cached at all.

Where: ``$TRIAGE_CACHE_DIR``, else ``$XDG_CACHE_HOME/triage``, else ``~/.cache/triage``;
``TRIAGE_CACHE_DIR=off`` turns it off. At most ``KEEP`` entries are kept, the newest.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import orjson

#: Bump when what the documents parse to changes (documents.py, the loader's settings).
FORMAT = 1
#: Entries kept; older ones are removed when a new one is written.
KEEP = 32


def cache_dir() -> Path | None:
    """Where entries live, or None when the cache is off or there is no home to put it in."""
    chosen = os.environ.get("TRIAGE_CACHE_DIR")
    if chosen is not None:
        return None if chosen in ("", "off") else Path(chosen)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "triage"
    home = os.path.expanduser("~")
    return None if home == "~" else Path(home) / ".cache" / "triage"


def _entry(digest: str, parser: str) -> Path | None:
    root = cache_dir()
    if root is None:
        return None
    from . import __version__

    return root / f"{digest}-{__version__}-{parser}-{FORMAT}.json"


def load(digest: str, parser: str, names: list[str]) -> dict[str, Any] | None:
    """The documents of the rule base ``digest`` parsed by ``parser`` (a version), one per
    file name of ``names``; None when there is no usable entry."""
    path = _entry(digest, parser)
    if path is None:
        return None
    try:
        docs = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(docs, dict) or sorted(docs) != sorted(names):
        return None
    return docs


def encode(docs: dict[str, Any]) -> bytes | None:
    """Freshly parsed documents as an entry (before validation, which may take them apart);
    None if JSON cannot hold them exactly."""
    try:
        data = orjson.dumps(docs)
    except orjson.JSONEncodeError:  # a key that is no string, a lone surrogate
        return None
    return data if orjson.loads(data) == docs else None  # a date would come back a string


def store(digest: str, parser: str, data: bytes) -> None:
    """Keep an entry (``encode``) of a rule base that loaded and validated; never raises."""
    path = _entry(digest, parser)
    if path is None:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)  # whole or not at all, whoever else reads or writes it
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        return
    _prune(path.parent)


def _prune(root: Path) -> None:
    """Remove all but the ``KEEP`` newest entries."""
    try:
        entries = sorted((p.stat().st_mtime, p) for p in root.iterdir() if p.suffix == ".json")
        for _, p in entries[:-KEEP]:
            p.unlink(missing_ok=True)
    except OSError:
        pass
