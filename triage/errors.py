"""Errors that carry where a user's mistake is: file, case or rule, and field."""

from __future__ import annotations

from .printable import printable, shorten


class TriageError(Exception):
    """A user-facing error: printed as one line, never as a traceback."""


class RuleBaseError(TriageError):
    """A rule base file is broken: names the file, the item (rule or question) and the field."""

    def __init__(self, file: str, message: str, item: str | None = None, field: str | None = None):
        # Names and values from the file are shown: escaped, and cut if huge.
        item, field = (shorten(printable(x), 200) if x else x for x in (item, field))
        message = shorten(printable(message), 400)
        self.file, self.item, self.field, self.message = file, item, field, message
        parts = [printable(file)]
        if item:
            parts.append(item)
        if field:
            parts.append(f"field '{field}'")
        super().__init__(": ".join(parts) + ": " + message)


class AnswerError(TriageError):
    """An answer does not fit its question; ``field`` is the question id."""

    def __init__(self, field: str, message: str):
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")
