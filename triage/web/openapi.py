"""The OpenAPI document of the API, built from the rule base it serves.

Written out rather than derived from models, so that the handlers can read their own bodies,
and exact: every question of the catalogue is a property of ``Answers`` with its own type,
values and range, so a client (or schemathesis) knows every valid request.
"""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..knowledge import RuleBase
from ..questions import YESNO_VALUES, Question

NULL = {"type": "null"}
STRING = {"type": "string"}
STRINGS = {"type": "array", "items": STRING}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, NULL]}


def _obj(props: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict:
    out: dict[str, Any] = {"type": "object", "properties": props}
    out["required"] = list(props) if required is None else required
    out.update(extra)
    return out


def answer_schema(q: Question) -> dict[str, Any]:
    """What one answer may be, as ``Question.parse`` accepts it (null: not answered)."""
    if q.type == "yesno":
        schema: dict[str, Any] = {
            "anyOf": [{"type": "string", "enum": list(YESNO_VALUES)}, {"type": "boolean"}, NULL]
        }
    elif q.type in ("integer", "number"):
        schema = {"type": [q.type, "null"], "minimum": q.min, "maximum": q.max}
    elif q.type == "choice":
        schema = {"enum": [*q.values, None]}
    else:
        schema = {
            "type": ["array", "null"],
            "items": {"type": "string", "enum": list(q.values)},
            "uniqueItems": True,
        }
    schema["description"] = q.prompt
    return schema


def _schemas(rb: RuleBase) -> dict[str, Any]:
    order = sorted(rb.questions.values(), key=lambda q: q.order)
    dispositions = sorted({o.disposition for o in rb.outcomes})
    timeframes = sorted({o.timeframe for o in rb.outcomes if o.timeframe})
    rule_ids = [r.id for r in rb.rules]
    error_body = _obj(
        {"message": STRING, "field": _nullable(STRING)},
        description="What is wrong, in the words `triage batch` uses, and the field at fault.",
    )
    return {
        "Answers": {
            "type": "object",
            "description": "Question id to answer; a question left out (or null) is unanswered.",
            "properties": {q.id: answer_schema(q) for q in order},
            "additionalProperties": False,
        },
        "Expect": {
            "type": "object",
            "properties": {
                "disposition": {"type": "string", "enum": dispositions},
                "timeframe": {"enum": [*timeframes, None]},
                "fired": {"type": "array", "items": {"type": "string", "enum": rule_ids}},
            },
            "additionalProperties": False,
        },
        "Case": {
            "type": "object",
            "description": "A case as in a case file (case-format): only `answers` is required.",
            "properties": {
                "id": {"anyOf": [STRING, {"type": "integer"}]},
                "note": _nullable(STRING),
                "answers": _nullable(_ref("Answers")),
                "expect": _nullable(_ref("Expect")),
            },
            "required": ["answers"],
            "additionalProperties": False,
        },
        "InterviewRequest": {
            "type": "object",
            "properties": {"answers": _nullable(_ref("Answers"))},
            "required": ["answers"],
            "additionalProperties": False,
        },
        "Choice": _obj({"value": STRING, "label": STRING}),
        "Question": _obj(
            {
                "id": STRING,
                "type": {
                    "type": "string",
                    "enum": ["yesno", "integer", "number", "choice", "multi"],
                },
                "prompt": STRING,
                "item": {"type": "string", "description": "The question as a checklist line."},
                "help": STRING,
                "why": {"type": "string", "description": "Why it is asked, in plain words."},
                "group": _nullable(STRING),
                "values": {"type": "array", "items": _ref("Choice")},
                "min": {"type": "number"},
                "max": {"type": "number"},
                "unit": STRING,
                "needed_by": {
                    "type": "array",
                    "items": STRING,
                    "description": "On a screen: the ids of the rules waiting on this answer.",
                },
            },
            required=["id", "type", "prompt", "item", "help", "why", "group"],
        ),
        "Group": _obj(
            {"id": STRING, "title": STRING, "help": STRING, "members": STRINGS},
            description="Related yes/no questions asked on one screen.",
        ),
        "Progress": _obj(
            {k: {"type": "integer", "minimum": 0} for k in ("done", "left", "step", "total")},
            description="Screens done and (at most) left: `step` of about `total`.",
        ),
        "Screen": _obj(
            {
                "questions": {"type": "array", "items": _ref("Question"), "minItems": 1},
                "group": _nullable(_ref("Group")),
                "progress": _ref("Progress"),
            }
        ),
        "InterviewResponse": _obj(
            {
                "done": {"type": "boolean", "description": "True when the result is final."},
                "screen": _nullable(_ref("Screen")),
                "result": _nullable(_ref("Result")),
            }
        ),
        "RuleBaseIdentity": _obj({"name": STRING, "version": STRING, "sha256": STRING}),
        "Result": {
            "type": "object",
            "description": "The result record `triage batch --format jsonl` writes (case-format).",
            "properties": {
                "id": STRING,
                "source": STRING,
                "note": STRING,
                "disposition": {"type": "string", "enum": dispositions},
                "timeframe": {"enum": [*timeframes, None]},
                "label": STRING,
                "reasons": {"type": "array", "items": {"type": "object"}},
                "fired": STRINGS,
                "unanswered": STRINGS,
                "complete": {"type": "boolean"},
                "unsure": STRINGS,
                "plan": {"type": "object"},
                "cautions": {"type": "array", "items": {"type": "object"}},
                "safety_net": STRINGS,
                "disclaimer": STRING,
                "trail": {"type": "array", "items": {"type": "object"}},
                "asked": {"type": "array", "items": {"type": "object"}},
                "answers": {"type": "object"},
                "rulebase": _ref("RuleBaseIdentity"),
                "triage_version": STRING,
            },
            "required": [
                "id",
                "source",
                "disposition",
                "timeframe",
                "label",
                "reasons",
                "fired",
                "unanswered",
                "complete",
                "plan",
                "cautions",
                "safety_net",
                "disclaimer",
                "trail",
                "answers",
                "rulebase",
                "triage_version",
            ],
        },
        "ErrorRecord": _obj(
            {"id": _nullable(STRING), "source": STRING, "error": error_body},
            description="A JSON Lines case that could not be evaluated.",
        ),
        "Error": _obj({"error": error_body}),
        "Catalogue": _obj(
            {
                "questions": {"type": "array", "items": _ref("Question")},
                "groups": {"type": "array", "items": _ref("Group")},
                "rulebase": _ref("RuleBaseIdentity"),
            }
        ),
        "RuleBase": _obj(
            {
                "name": STRING,
                "version": STRING,
                "sha256": STRING,
                "files": STRINGS,
                "region": _nullable(STRING),
                "outcomes": {"type": "array", "items": {"type": "object"}},
                "rules": {"type": "array", "items": {"type": "object"}},
            }
        ),
        "Health": _obj(
            {
                "status": {"const": "ok"},
                "rulebase": _ref("RuleBaseIdentity"),
                "triage_version": STRING,
            }
        ),
    }


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(schema)}}


def _errors(*codes: int) -> dict[str, Any]:
    words = {
        400: "The body could not be read: not UTF-8, not JSON, or a key given twice.",
        413: "The body is too large (1 MiB for JSON; 64 MiB for JSON Lines).",
        415: "The body's media type is not one this operation reads.",
        422: "The case is not valid: an unknown question, or an answer that does not fit.",
        503: "The decision could not be written to the audit log.",
    }
    return {str(c): {"description": words[c], "content": _json("Error")} for c in codes}


def openapi_document(rb: RuleBase) -> dict[str, Any]:
    """The OpenAPI 3.1 document for the API over ``rb``."""
    jsonl = {"schema": {"type": "string", "description": "JSON Lines: one case per line."}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "triage: back and neck pain triage",
            "version": __version__,
            "description": (
                f"Rule base {rb.name} {rb.version} (sha256 {rb.sha256}). Stateless: every "
                "request carries all the answers, and the server keeps nothing. Not a "
                "diagnosis; it does not replace professional advice."
            ),
        },
        "paths": {
            "/v1/interview": {
                "post": {
                    "operationId": "interview",
                    "summary": "The next screen for the answers so far, or the final result.",
                    "requestBody": {"required": True, "content": _json("InterviewRequest")},
                    "responses": {
                        "200": {
                            "description": "The next screen, or the result when `done`.",
                            "content": _json("InterviewResponse"),
                        },
                        **_errors(400, 413, 415, 422, 503),
                    },
                }
            },
            "/v1/evaluate": {
                "post": {
                    "operationId": "evaluate",
                    "summary": "Evaluate a case, or many as JSON Lines (streamed).",
                    "description": (
                        "A JSON case gives the record `triage batch --format jsonl` writes for "
                        "it. A JSON Lines body (application/x-ndjson) gives one record per "
                        "line, in order, streamed; a line that cannot be evaluated gets an "
                        "error record instead, as in `triage batch -`."
                    ),
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": _ref("Case")},
                            "application/x-ndjson": jsonl,
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "The record (JSON), or one record per line.",
                            "content": {
                                "application/json": {"schema": _ref("Result")},
                                "application/x-ndjson": {
                                    "schema": {"type": "string"},
                                    "x-line-schema": {
                                        "anyOf": [_ref("Result"), _ref("ErrorRecord")]
                                    },
                                },
                            },
                        },
                        **_errors(400, 413, 415, 422, 503),
                    },
                }
            },
            "/v1/questions": {
                "get": {
                    "operationId": "questions",
                    "summary": "The question catalogue, in asking order, and its groups.",
                    "responses": {"200": {"description": "OK", "content": _json("Catalogue")}},
                }
            },
            "/v1/rulebase": {
                "get": {
                    "operationId": "rulebase",
                    "summary": "The rule base: name, version, sha256, outcomes and rules.",
                    "responses": {"200": {"description": "OK", "content": _json("RuleBase")}},
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "healthz",
                    "summary": "The server is up, and which rule base it serves.",
                    "responses": {"200": {"description": "OK", "content": _json("Health")}},
                }
            },
        },
        "components": {"schemas": _schemas(rb)},
    }
