"""The OpenAPI document of every route the server has: the JSON API, FHIR, CDS Hooks, pages.

Built from what validates the requests, so the document and the server answer alike:

- the API's answers from the question catalogue (``Question``, whose ``parse`` checks them):
  every question is a property of ``Answers`` with its own type, values and range, and a
  yes/no answer is what ``parse`` takes (yes, no or unsure in any case, with spaces around,
  or true/false), written as a pattern of exactly the characters ``str.strip`` removes;
- CDS Hooks from the pydantic models that read and write it (``triage/fhir/cds.py``);
- FHIR from the server's endpoint list (each resource described by its ``resourceType``).

A test checks that a sample of requests is accepted or refused alike by this document and by
the server, and schemathesis checks every response against it.
"""

from __future__ import annotations

import sys
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


def _any_case(word: str) -> str:
    return "".join(f"[{ch.upper()}{ch}]" if ch.isalpha() else ch for ch in word)


#: The characters ``str.strip`` removes (what ``Question.parse`` ignores around an answer).
_SPACE = "[" + "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()) + "]*"
#: A yes/no answer as ``Question.parse`` reads it: its words in any case, spaces around.
YESNO_PATTERN = f"^{_SPACE}({'|'.join(_any_case(w) for w in YESNO_VALUES)}){_SPACE}$"


def answer_schema(q: Question) -> dict[str, Any]:
    """What one answer may be, as ``Question.parse`` accepts it (null: not answered)."""
    if q.type == "yesno":
        schema: dict[str, Any] = {
            "anyOf": [
                {"type": "string", "pattern": YESNO_PATTERN, "examples": list(YESNO_VALUES)},
                {"type": "boolean"},
                NULL,
            ]
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
        "FhirInput": {
            "type": "object",
            "description": (
                "A FHIR R4 QuestionnaireResponse to this questionnaire, read as a case, or a "
                "Bundle of them, each entry a case (docs/fhir.md)."
            ),
            "properties": {"resourceType": {"enum": ["QuestionnaireResponse", "Bundle"]}},
            "required": ["resourceType"],
        },
        "EvaluateRequest": {"anyOf": [_ref("Case"), _ref("FhirInput")]},
        "FhirResource": {
            "type": "object",
            "description": "A FHIR R4 resource, in JSON.",
            "properties": {"resourceType": STRING},
            "required": ["resourceType"],
        },
        "OperationOutcome": {
            "type": "object",
            "description": "Why a FHIR request was refused: one issue, with the one line.",
            "properties": {
                "resourceType": {"const": "OperationOutcome"},
                "issue": {"type": "array", "items": {"type": "object"}, "minItems": 1},
            },
            "required": ["resourceType", "issue"],
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
                "next_questions": {
                    **STRINGS,
                    "description": (
                        "The API's own addition, on an incomplete record only: the ids of the "
                        "questions to ask next. Show no self-care advice before they are "
                        "answered."
                    ),
                },
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


def _json(schema: str, media: str = "application/json") -> dict[str, Any]:
    return {media: {"schema": _ref(schema)}}


REQUEST_ID = {
    "X-Request-Id": {
        "description": (
            "The request's X-Request-Id when it is 1 to 128 letters, digits or . _ : -, else "
            "a new random id (which says nothing about the person)."
        ),
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"},
    }
}
ERROR_WORDS = {
    400: "The body could not be read: not UTF-8, not JSON, or a key given twice.",
    403: "A browser's cross-site request from an origin not allowed (--cors-origin).",
    404: "No such resource.",
    412: "No answers to read: no response given, and none found on fhirServer.",
    413: "The body is too large (1 MiB for JSON; 64 MiB for JSON Lines).",
    415: "The body's media type is not one this operation reads.",
    422: "Not valid: an unknown question or field, or an answer that does not fit.",
    503: "The decision could not be written to the audit log.",
}


def _errors(*codes: int, schema: str = "Error", media: str = "application/json") -> dict:
    return {
        str(c): {
            "description": ERROR_WORDS[c],
            "headers": REQUEST_ID,
            "content": _json(schema, media),
        }
        for c in codes
    }


def _ok(description: str, content: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description, "headers": REQUEST_ID}
    if content is not None:
        out["content"] = content
    return out


def _region(rb: RuleBase) -> dict[str, Any]:
    return {
        "name": "region",
        "in": "query",
        "required": False,
        "description": "The region whose advice (emergency number, services) the result gives; "
        "the server's --region when left out.",
        "schema": {"type": "string", "enum": sorted(rb.plans.regions)},
    }


def _cds(rb: RuleBase) -> tuple[dict[str, Any], dict[str, Any]]:
    """CDS Hooks paths and schemas, from the models that read and write its JSON."""
    from pydantic.json_schema import models_json_schema

    from ..fhir import cds

    models: list[Any] = [
        (cds.Discovery, "serialization"),
        (cds.HookRequest, "validation"),
        (cds.CardsResponse, "serialization"),
        (cds.Feedback, "validation"),
    ]
    _, defs = models_json_schema(models, ref_template="#/components/schemas/{model}")
    schemas = defs["$defs"]
    service = "/cds-services/{id}"
    id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    paths = {
        "/cds-services": {
            "get": {
                "operationId": "cdsDiscovery",
                "tags": ["cds-hooks"],
                "summary": "CDS Hooks discovery: the patient-view service.",
                "responses": {"200": _ok("The services.", _json("Discovery"))},
            }
        },
        service: {
            "post": {
                "operationId": "cdsService",
                "tags": ["cds-hooks"],
                "summary": "A card for the patient's latest answers (patient-view).",
                "description": (
                    "The response comes from context.questionnaireResponse, prefetch "
                    "questionnaireResponse, or a search on fhirServer with the "
                    "fhirAuthorization token. It must be the hook's patient's (subject)."
                ),
                "parameters": [id_param],
                "requestBody": {"required": True, "content": _json("HookRequest")},
                "responses": {
                    "200": _ok(
                        "The card (none when the patient has no response).", _json("CardsResponse")
                    ),
                    **_errors(400, 403, 404, 412, 413, 415, 422, 503),
                },
            }
        },
        service + "/feedback": {
            "post": {
                "operationId": "cdsFeedback",
                "tags": ["cds-hooks"],
                "summary": "What the clinician did with a card (acknowledged; nothing kept).",
                "parameters": [id_param],
                "requestBody": {"required": True, "content": _json("Feedback")},
                "responses": {
                    "200": _ok("Received."),
                    **_errors(400, 403, 404, 413, 415, 422),
                },
            }
        },
    }
    return paths, schemas


def _fhir(routes: list[tuple[str, str]]) -> dict[str, Any]:
    """FHIR paths, one per endpoint the server mounts; errors are OperationOutcomes."""
    fhir = "application/fhir+json"
    paths: dict[str, Any] = {}
    for method, path in routes:
        params = [
            {"name": name[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
            for name in path.split("/")
            if name.startswith("{") and name.endswith("}")
        ]
        op: dict[str, Any] = {
            "operationId": "fhir"
            + "".join(part.strip("${}").title().replace("-", "") for part in path.split("/")[2:])
            + method.title(),
            "tags": ["fhir"],
            "summary": f"FHIR R4: {method} {path}",
            "parameters": params,
            "responses": {
                "200": _ok("The resource.", _json("FhirResource", fhir)),
                **_errors(404, schema="OperationOutcome", media=fhir),
            },
        }
        if method == "POST":
            op["requestBody"] = {
                "required": True,
                "content": {**_json("FhirResource", fhir), **_json("FhirResource")},
            }
            op["responses"].update(
                _errors(400, 403, 413, 415, 422, 503, schema="OperationOutcome", media=fhir)
            )
        paths.setdefault(path, {})[method.lower()] = op
    return paths


def _pages() -> dict[str, Any]:
    """The web pages: HTML for people (forms posted by the pages themselves)."""
    html = {"text/html": {"schema": STRING}}
    form = {
        "application/x-www-form-urlencoded": {
            "schema": {"type": "object", "additionalProperties": STRING}
        }
    }
    errors = {
        str(c): {"description": ERROR_WORDS.get(c, "Refused."), "content": html}
        for c in (400, 403, 413, 415, 422)
    }

    def page(op_id: str, summary: str, post: bool = True, media: dict | None = None) -> dict:
        op: dict[str, Any] = {
            "operationId": op_id,
            "tags": ["pages"],
            "summary": summary,
            "responses": {"200": _ok("The page.", media or html)},
        }
        if post:
            op["requestBody"] = {"required": True, "content": form}
            op["responses"].update(errors)
        return op

    return {
        "/": {"get": page("start", "The start page.", post=False)},
        "/interview": {
            "post": {
                **page("pageInterview", "Take a screen's answers.", True),
                "responses": {
                    "303": {"description": "See the next screen, or the result."},
                    **errors,
                },
            },
            "get": {
                "operationId": "restart",
                "tags": ["pages"],
                "summary": "A bookmark of the interview: back to the start page.",
                "responses": {"303": {"description": "See the start page (/)."}},
            },
        },
        "/interview/{step}": {
            "get": {
                **page("pageScreen", "Screen step of the interview, its answers shown.", False),
                "parameters": [{"name": "step", "in": "path", "required": True, "schema": STRING}],
            }
        },
        **{
            path: {
                "get": page(
                    f"page{name}", f"{summary} (answers from the interview's cookie).", False
                ),
                "post": {
                    **page(f"page{name}Answers", f"Keep these answers, then see {path}.", True),
                    "responses": {"303": {"description": f"See {path}."}, **errors},
                },
            }
            for path, name, summary in (
                ("/result", "Result", "The result page"),
                ("/summary", "Summary", "The summary for a clinician"),
                ("/review", "Review", "The rules that fired, for reviewers"),
            )
        },
        "/country": {
            "get": page("pageCountry", "Choose the country whose phone numbers are shown.", False),
            "post": {
                **page("pageCountryChosen", "Keep the country chosen (a cookie).", True),
                "responses": {"303": {"description": "See the page it came from."}, **errors},
            },
        },
        "/answers": {
            "post": page(
                "pageAnswers",
                "The answers as a case file (YAML).",
                media={"application/yaml": {"schema": STRING}},
            )
        },
        "/answers.fhir.json": {
            "post": page(
                "pageAnswersFhir",
                "The answers as a FHIR QuestionnaireResponse.",
                media={"application/fhir+json": {"schema": _ref("FhirResource")}},
            )
        },
        "/static/{path}": {
            "get": {
                "operationId": "static",
                "tags": ["pages"],
                "summary": "The pages' style sheet, script and images.",
                "parameters": [{"name": "path", "in": "path", "required": True, "schema": STRING}],
                "responses": {"200": {"description": "The file."}, "404": {"description": "None."}},
            }
        },
    }


def openapi_document(
    rb: RuleBase, fhir_routes: list[tuple[str, str]] | None = None
) -> dict[str, Any]:
    """The OpenAPI 3.1 document for the server over ``rb``: the API, the FHIR endpoints
    (``fhir_routes``: method and path of each), CDS Hooks and the pages."""
    jsonl = {"schema": {"type": "string", "description": "JSON Lines: one case per line."}}
    cds_paths, cds_schemas = _cds(rb)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "triage: back and neck pain triage",
            "version": __version__,
            "description": (
                f"Rule base {rb.name} {rb.version} (sha256 {rb.sha256}). Stateless: every "
                "request carries all the answers, and the server keeps nothing. Not a "
                "diagnosis; it does not replace professional advice. Every response carries "
                "an X-Request-Id. Another site's pages may call the API, FHIR and CDS Hooks "
                "routes only from the origins the server allows (--cors-origin)."
            ),
        },
        "paths": {
            "/v1/interview": {
                "post": {
                    "operationId": "interview",
                    "tags": ["api"],
                    "summary": "The next screen for the answers so far, or the final result.",
                    "parameters": [_region(rb)],
                    "requestBody": {"required": True, "content": _json("InterviewRequest")},
                    "responses": {
                        "200": _ok(
                            "The next screen, or the result when `done`.",
                            _json("InterviewResponse"),
                        ),
                        **_errors(400, 403, 413, 415, 422, 503),
                    },
                }
            },
            "/v1/evaluate": {
                "post": {
                    "operationId": "evaluate",
                    "tags": ["api"],
                    "summary": "Evaluate a case, or many as JSON Lines or a FHIR Bundle.",
                    "description": (
                        "A JSON case (or a QuestionnaireResponse) gives the record `triage "
                        "batch --format jsonl` writes for it, with `next_questions` when it is "
                        "incomplete. A JSON Lines body (application/x-ndjson) or a FHIR Bundle "
                        "gives one record per case, in order, as JSON Lines; a case that cannot "
                        "be evaluated gets an error record instead, as in `triage batch`."
                    ),
                    "parameters": [_region(rb)],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": _ref("EvaluateRequest")},
                            "application/fhir+json": {"schema": _ref("FhirInput")},
                            "application/x-ndjson": jsonl,
                        },
                    },
                    "responses": {
                        "200": _ok(
                            "The record (JSON), or one record per line.",
                            {
                                "application/json": {"schema": _ref("Result")},
                                "application/x-ndjson": {
                                    "schema": {"type": "string"},
                                    "x-line-schema": {
                                        "anyOf": [_ref("Result"), _ref("ErrorRecord")]
                                    },
                                },
                            },
                        ),
                        **_errors(400, 403, 413, 415, 422, 503),
                    },
                }
            },
            "/v1/questions": {
                "get": {
                    "operationId": "questions",
                    "tags": ["api"],
                    "summary": "The question catalogue, in asking order, and its groups.",
                    "responses": {"200": _ok("OK", _json("Catalogue"))},
                }
            },
            "/v1/rulebase": {
                "get": {
                    "operationId": "rulebase",
                    "tags": ["api"],
                    "summary": "The rule base: name, version, sha256, outcomes and rules.",
                    "responses": {"200": _ok("OK", _json("RuleBase"))},
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "healthz",
                    "tags": ["api"],
                    "summary": "The server is up, and which rule base it serves.",
                    "responses": {"200": _ok("OK", _json("Health"))},
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "tags": ["api"],
                    "summary": "This document.",
                    "responses": {
                        "200": _ok("OK", {"application/json": {"schema": {"type": "object"}}})
                    },
                }
            },
            **_fhir(fhir_routes or []),
            **cds_paths,
            **_pages(),
        },
        "components": {"schemas": {**cds_schemas, **_schemas(rb)}},
    }
