"""Checks every emitted FHIR resource goes through: the library validates it, and what the
library does not check (code values, contained references, our codes) is checked here."""

from __future__ import annotations

import json
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from triage.fhir import canonical
from triage.fhir.codes import code_system
from triage.knowledge import RuleBase

STATUS = {
    "Questionnaire": {"draft", "active", "retired", "unknown"},
    "QuestionnaireResponse": {"in-progress", "completed", "amended", "entered-in-error", "stopped"},
    "GuidanceResponse": {
        "success",
        "data-requested",
        "data-required",
        "in-progress",
        "failure",
        "entered-in-error",
    },
    "CodeSystem": {"draft", "active", "retired", "unknown"},
}
ITEM_TYPES = {"group", "display", "choice", "integer", "decimal", "boolean", "string"}


def valid(doc: str | bytes | dict[str, Any], rb: RuleBase) -> dict[str, Any]:
    """``doc`` (JSON text or parsed) checked as a FHIR resource; returns it parsed."""
    data = json.loads(doc) if isinstance(doc, str | bytes) else doc
    get_fhir_model_class(data["resourceType"]).model_validate(data)  # raises if invalid
    _check(data, rb, top=True)
    return data


def _check(data: dict[str, Any], rb: RuleBase, top: bool) -> None:
    kind = data["resourceType"]
    if kind in STATUS:
        assert data["status"] in STATUS[kind], (kind, data["status"])
    contained = data.get("contained") or []
    if not top:
        assert not contained, "a contained resource contains nothing (dom-2)"
    refs = _references(data)
    for inner in contained:
        assert f"#{inner['id']}" in refs, f"contained {inner['id']} is not referenced (dom-3)"
        _check(inner, rb, top=False)
    for item in _items(data.get("item") or []):
        if kind == "Questionnaire":
            assert item["type"] in ITEM_TYPES
    for coding in _codings(data):
        _known_code(coding, rb)


def _references(node: Any) -> set[str]:
    out: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("reference", "questionnaire", "moduleCanonical") and isinstance(value, str):
                out.add(value)
            out |= _references(value)
    elif isinstance(node, list):
        for value in node:
            out |= _references(value)
    return out


def _items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        out.append(item)
        out += _items(item.get("item") or [])
        for answer in item.get("answer") or []:
            out += _items(answer.get("item") or [])
    return out


def _codings(node: Any) -> list[dict[str, Any]]:
    out = []
    if isinstance(node, dict):
        if isinstance(node.get("system"), str) and "code" in node:
            out.append(node)
        for value in node.values():
            out += _codings(value)
    elif isinstance(node, list):
        for value in node:
            out += _codings(value)
    return out


def codes_of(rb: RuleBase, kind: str) -> set[str]:
    return {c.code for c in code_system(rb, kind).concept}


def _known_code(coding: dict[str, Any], rb: RuleBase) -> None:
    """A code of one of our systems is in the CodeSystem we publish."""
    for kind in canonical.CODE_SYSTEMS:
        if coding["system"] == canonical.code_system_url(rb, kind):
            assert coding["code"] in codes_of(rb, kind), coding
