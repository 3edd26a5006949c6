"""Back and neck pain triage: a rule-based expert system (experta) with explained decisions."""

# experta 1.9.4 needs this on Python 3.10+, before any experta import: see _compat.
from . import _compat  # noqa: F401

__version__ = "0.1.0"
