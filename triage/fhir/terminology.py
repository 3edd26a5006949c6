"""Standard codes beside the project's own: LOINC and SNOMED CT, where a code is certain.

The codes and where each was looked up are data (``terminology.yaml`` beside this module),
read once. A question with a standard code carries it as the Questionnaire item's ``code``;
a concept with none stays local rather than get a guessed code.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from fhir.resources.R4B.coding import Coding

DATA = Path(__file__).with_name("terminology.yaml")


@cache
def _questions() -> dict[str, list[dict[str, str]]]:
    doc = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    out: dict[str, list[dict[str, str]]] = {}
    for entry in doc["questions"]:
        out.setdefault(entry["question"], []).append(entry)
    return out


def question_codes(question: str) -> list[Coding]:
    """The standard codes of one question (none for most)."""
    return [
        Coding(system=e["system"], code=str(e["code"]), display=e["display"])
        for e in _questions().get(question, [])
    ]


def sources() -> list[dict[str, str]]:
    """Every standard code with where it was looked up (for docs and tests)."""
    return [e for entries in _questions().values() for e in entries]
