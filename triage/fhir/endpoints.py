"""The HTTP-free functions of the FHIR and CDS Hooks API, with the method and path of each.

A server mounts each ``Endpoint`` as a route: it reads the request body (nothing for a GET),
calls ``handle(body, **path_params)`` (with ``query=``, the query's name and value pairs, for
an endpoint that searches) and copies the ``Reply`` (status, body, media type) onto its
response. Every handler answers every input with a reply, a 4xx with one line for bad input
(an OperationOutcome under ``/fhir/``); none raises.

Under ``/fhir/``: ``metadata`` (the CapabilityStatement), ``Questionnaire`` and ``CodeSystem``
read by id and searched by ``url``, ``OperationDefinition`` and ``Library`` read by id, and
``Questionnaire/$next-question``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ..knowledge import RuleBase
from ..service import Triage
from . import canonical as c
from .replies import FHIR_JSON, JSON, MAX_BODY, Refused, Reply, fhir_refusal


@dataclass(frozen=True)
class Endpoint:
    """One route: ``handle(body, **path_params)`` answers ``method`` ``path``."""

    method: str
    path: str  # with ``{name}`` for a path parameter, as Starlette and FastAPI write it
    handle: Callable[..., Reply]
    max_body: int = MAX_BODY  # a server may refuse a longer body before reading it all
    query: bool = False  # ``handle`` takes ``query=``: the query string's (name, value) pairs


Query = list[tuple[str, str]]


def questionnaire(triage: Triage | None = None) -> Reply:
    """GET ``/fhir/Questionnaire/{id}``: the whole questionnaire."""
    from .questionnaire import questionnaire as build

    rb = (triage or Triage.load()).rulebase
    return Reply(200, build(rb).model_dump_json().encode("utf-8"), FHIR_JSON)


def code_system(resource_id: str, triage: Triage | None = None) -> Reply:
    """GET ``/fhir/CodeSystem/{id}``: one of the published CodeSystems."""
    from .codes import code_system as build

    rb = (triage or Triage.load()).rulebase
    kinds = {c.code_system_id(rb, kind): kind for kind in c.CODE_SYSTEMS}
    if resource_id not in kinds:
        return fhir_refusal(Refused(404, f"no CodeSystem {resource_id!r}"))
    return Reply(200, build(rb, kinds[resource_id]).model_dump_json().encode("utf-8"), FHIR_JSON)


def metadata(triage: Triage | None = None) -> Reply:
    """GET ``/fhir/metadata``: the CapabilityStatement."""
    from .capability import capability_statement

    rb = (triage or Triage.load()).rulebase
    return _reply(capability_statement(rb))


def published(rb: RuleBase, kind: str) -> list[Any]:
    """The resources of one type this server publishes (each built when asked for)."""
    if kind == "Questionnaire":
        from .questionnaire import questionnaire as build

        return [build(rb)]
    if kind == "CodeSystem":
        from .codes import code_system as build_cs

        return [build_cs(rb, k) for k in c.CODE_SYSTEMS]
    from .capability import library, operation_definition

    built: dict[str, list[Any]] = {
        "OperationDefinition": [operation_definition(rb)],
        "Library": [library(rb)],
    }
    return built[kind]


def read(rb: RuleBase, kind: str, resource_id: str) -> Reply:
    """GET ``/fhir/{kind}/{id}``: one published resource, or a 404 OperationOutcome."""
    for resource in published(rb, kind):
        if resource.id == resource_id:
            return _reply(resource)
    return fhir_refusal(Refused(404, f"no {kind} {resource_id!r}"))


#: Search parameters understood; others are ignored, as FHIR's lenient handling has it.
SEARCH_PARAMETERS = ("url", "_id", "version")


def search(rb: RuleBase, kind: str, query: Query) -> Reply:
    """GET ``/fhir/{kind}?url=...``: a searchset Bundle of the published resources that
    match every parameter given (``url`` with or without ``|version``, ``_id``, ``version``)."""
    from fhir.resources.R4B.bundle import Bundle, BundleEntry, BundleEntrySearch, BundleLink

    found = published(rb, kind)
    for name, value in query:
        if name not in SEARCH_PARAMETERS:
            continue
        found = [r for r in found if _matches(r, name, value)]
    base = c.base()
    entries = [
        BundleEntry(
            fullUrl=f"{base}/{kind}/{r.id}", resource=r, search=BundleEntrySearch(mode="match")
        )
        for r in found
    ]
    shown = "&".join(f"{quote(n)}={quote(v)}" for n, v in query)
    bundle = Bundle(
        type="searchset",
        total=len(entries),
        link=[BundleLink(relation="self", url=f"{base}/{kind}" + (f"?{shown}" if shown else ""))],
        entry=entries or None,
    )
    return _reply(bundle)


def _matches(resource: Any, name: str, value: str) -> bool:
    if name == "_id":
        return resource.id == value
    if name == "version":
        return resource.version == value
    url, _, version = value.partition("|")
    return resource.url == url and (not version or resource.version == version)


def _reply(resource: Any) -> Reply:
    return Reply(200, resource.model_dump_json().encode("utf-8"), FHIR_JSON)


def endpoints(
    triage: Triage,
    region: str | None = None,
    audit: Callable[[dict[str, Any], str], object] | None = None,
) -> list[Endpoint]:
    """The routes to mount for one rule base (and the region its advice is for).

    ``audit(record, path)`` is given each result record that a request produced (a finished
    ``$next-question``, a CDS card), with the route's path, for the audit log."""
    from .cds import cds_discovery, cds_service
    from .next_question import next_question

    name = c.questionnaire_id(triage.rulebase)
    rb = triage.rulebase

    def audited(path: str) -> Callable[[dict[str, Any]], object] | None:
        if audit is None:
            return None

        def write(record: dict[str, Any]) -> None:
            if audit(record, path) is False:
                raise _Unaudited

        return write

    def read_questionnaire(body: bytes, id: str) -> Reply:
        if id != name:
            return fhir_refusal(Refused(404, f"no Questionnaire {id!r}"))
        return questionnaire(triage)

    return [
        Endpoint(
            "POST",
            "/fhir/Questionnaire/$next-question",
            _audited_or_503(
                lambda body: next_question(
                    body, triage, region, audited("/fhir/Questionnaire/$next-question")
                ),
                fhir_refusal,
            ),
        ),
        Endpoint("GET", "/fhir/metadata", lambda body: metadata(triage)),
        Endpoint(
            "GET",
            "/fhir/Questionnaire",
            lambda body, query: search(rb, "Questionnaire", query),
            query=True,
        ),
        Endpoint("GET", "/fhir/Questionnaire/{id}", read_questionnaire),
        Endpoint(
            "GET",
            "/fhir/CodeSystem",
            lambda body, query: search(rb, "CodeSystem", query),
            query=True,
        ),
        Endpoint("GET", "/fhir/CodeSystem/{id}", lambda body, id: code_system(id, triage)),
        Endpoint(
            "GET",
            "/fhir/OperationDefinition/{id}",
            lambda body, id: read(rb, "OperationDefinition", id),
        ),
        Endpoint("GET", "/fhir/Library/{id}", lambda body, id: read(rb, "Library", id)),
        Endpoint("GET", "/cds-services", lambda body: cds_discovery(triage)),
        Endpoint(
            "POST",
            "/cds-services/{id}",
            _audited_or_503(
                lambda body, id: cds_service(id, body, triage, region, audited("/cds-services")),
                _cds_refusal,
            ),
        ),
    ]


UNAUDITED = "the decision could not be written to the audit log"


class _Unaudited(Exception):
    """``audit`` returned False: the decision is not in the log, so it is not given."""


def _audited_or_503(
    handle: Callable[..., Reply], refusal: Callable[[Refused], Reply]
) -> Callable[..., Reply]:
    """``handle``, answering 503 for a decision the audit log could not take (as ``/v1/*``
    do: no decision that nobody can trace)."""

    def run(*args: Any, **kwargs: Any) -> Reply:
        try:
            return handle(*args, **kwargs)
        except _Unaudited:
            return refusal(Refused(503, UNAUDITED))

    return run


def _cds_refusal(exc: Refused) -> Reply:
    from .cds import ErrorBody

    body = ErrorBody(error=ErrorBody.Error(message=exc.message, field=exc.field)).json_bytes()
    return Reply(exc.status, body, JSON)
