"""Let experta 1.9.4 (the last PyPI release) import on Python 3.10+.

experta pins frozendict==1.2, which subclasses ``collections.Mapping``; those aliases were
removed in Python 3.10. Restoring them from ``collections.abc`` before experta is imported
is the least invasive fix: no fork, no vendored code, no resolver conflict.
"""

import collections
import collections.abc

for _name in ("Mapping", "MutableMapping", "Sequence", "Iterable", "Callable", "Hashable"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))
