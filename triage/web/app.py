"""The ASGI application of ``triage serve``: pages, API, static files, errors and headers."""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from ..formats import json_bytes
from ..questions import Question
from ..service import Triage
from .api import Api, json_response
from .bodies import HttpError
from .fhir import PREFIXES as FHIR_PREFIXES
from .fhir import fhir_routes
from .headers import SecurityHeaders
from .openapi import openapi_document
from .pages import Pages, environment
from .records import Records
from .settings import Settings

STATIC = Path(__file__).resolve().parent / "static"
API_PREFIXES = ("/v1/", "/healthz", "/openapi.json", *FHIR_PREFIXES)


def create_app(settings: Settings | None = None, triage: Triage | None = None) -> ASGIApp:
    """The application for these settings (the rule base is loaded here, once)."""
    settings = settings or Settings()
    triage = triage or Triage.load(settings.rules_dir)
    warm_up(triage)
    records = Records(triage, settings.region, settings.audit_log)
    api = Api(triage, records)
    pages = Pages(triage, records, environment())
    openapi = json_bytes(openapi_document(triage.rulebase))

    async def openapi_json(request: Request) -> Response:
        return Response(openapi, media_type="application/json")

    def is_api(request: Request) -> bool:
        return request.url.path.startswith(API_PREFIXES)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HttpError)
        response = (
            json_response(exc.body(), exc.status)
            if is_api(request)
            else pages.error_page(exc, request)
        )
        response.headers.update(exc.headers)
        return response

    async def starlette_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        words = {404: "not found", 405: "method not allowed"}
        message = words.get(exc.status_code, str(exc.detail).lower())
        if exc.status_code == 405 and is_api(request):
            allowed = exc.headers.get("Allow", "") if exc.headers else ""
            message += f" (allowed: {allowed})" if allowed else ""
        return await http_error(request, HttpError(exc.status_code, message, headers=exc.headers))

    async def internal_error(request: Request, exc: Exception) -> Response:
        # A bug: say so without a trace (uvicorn logs it on the server's stderr).
        return await http_error(request, HttpError(500, "internal error"))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        # The rule base, engine and templates live as long as the process: out of the
        # collector's way, a full collection no longer walks them (shorter pauses).
        gc.freeze()
        yield
        records.close()

    routes = [
        Route("/", pages.start, methods=["GET"]),
        Route("/interview", pages.interview, methods=["POST"]),
        Route("/interview", pages.restart, methods=["GET"]),
        Route("/interview/{step:int}", pages.screen_page, methods=["GET"]),
        Route("/result", pages.result, methods=["GET", "POST"]),
        Route("/summary", pages.summary, methods=["GET", "POST"]),
        Route("/review", pages.review, methods=["GET", "POST"]),
        Route("/country", pages.country, methods=["GET", "POST"]),
        Route("/answers", pages.download, methods=["POST"]),
        Route("/answers.fhir.json", pages.download_fhir, methods=["POST"]),
        Route("/v1/interview", api.interview, methods=["POST"]),
        Route("/v1/evaluate", api.evaluate, methods=["POST"]),
        Route("/v1/questions", api.questions, methods=["GET"]),
        Route("/v1/rulebase", api.rulebase, methods=["GET"]),
        Route("/healthz", api.healthz, methods=["GET"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        *fhir_routes(triage, settings.region, records),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            HttpError: http_error,
            HTTPException: starlette_error,
            Exception: internal_error,
        },
        lifespan=lifespan,
    )
    # Outside Starlette's own error handling, so that even a 500 has the headers.
    return SecurityHeaders(app, access_log=settings.access_log)


def warm_up(triage: Triage) -> None:
    """Build the engine's networks now rather than on the first requests (tens of ms each):
    one for interviews (answers missing), one for complete cases."""
    triage.evaluate({})
    triage.evaluate({q.id: _some_answer(q) for q in triage.rulebase.questions.values()})


def _some_answer(q: Question) -> Any:
    if q.type in ("integer", "number"):
        return q.min
    return () if q.type == "multi" else q.choices[0]


def app_from_env() -> ASGIApp:
    """The application for a worker process, from the settings its parent put in the
    environment (``Settings.to_env``)."""
    return create_app(Settings.from_env())
