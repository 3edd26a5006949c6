"""The human-readable narrative (``text``) of the resources a person or a clinician reads.

FHIR asks that a resource carry its content as XHTML too, for a reader whose system does not
understand the structure. The narrative here is ``generated`` from the structured content
alone, every piece of text escaped, in the few elements FHIR's narrative rules allow (``div``,
``p``, ``h3``, ``ul``, ``li``, ``b``); a contained resource gets none, its container speaks
for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from fhir.resources.R4B.narrative import Narrative

from .canonical import NARRATIVE

Row = tuple[str, str]


def narrative(
    title: str, paragraphs: Iterable[str] = (), rows: Iterable[Row] = (), items: Iterable[str] = ()
) -> Narrative:
    """A narrative: a heading, some paragraphs, ``label: value`` lines and a bulleted list."""
    parts = [f"<h3>{_text(title)}</h3>"]
    parts += [f"<p>{_text(p)}</p>" for p in paragraphs if p]
    parts += [f"<p><b>{_text(label)}:</b> {_text(value)}</p>" for label, value in rows]
    listed = [f"<li>{_text(i)}</li>" for i in items]
    if listed:
        parts.append("<ul>" + "".join(listed) + "</ul>")
    return Narrative(status="generated", div=f'<div xmlns="{NARRATIVE}">{"".join(parts)}</div>')


def _text(value: str) -> str:
    """Text escaped for XHTML, its control characters (never valid in XML) dropped."""
    clean = "".join(ch for ch in str(value) if ch in "\t\n" or ord(ch) >= 32)
    return escape(clean, quote=False)
