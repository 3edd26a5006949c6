"""The interview on web pages: plain forms that work without script, one screen at a time.

The answers so far travel in a hidden field as JSON, validated on every request as a case
file's answers are; the server keeps no session and sets no cookie. Every page that carries
answers is the answer to a POST, so they never appear in a URL (or an access log).
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import jinja2
import yaml
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..cases import Case
from ..engine import Evaluation
from ..interview import screen_help, screen_title, why
from ..render import dose, next_step
from ..service import Triage
from .api import case_of
from .bodies import HttpError, parse_json, read_form
from .records import Records
from .screens import (
    YESNO_LABELS,
    answer_words,
    case_document,
    choices,
    plain_answers,
    read_screen,
    replay,
)

LANGS = {"uk": "en-GB", "us": "en-US"}


def environment() -> jinja2.Environment:
    """The page templates, autoescaped."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("triage.web", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(choices=choices, YESNO_LABELS=YESNO_LABELS, next_step=next_step, dose=dose)
    return env


class Pages:
    """The page handlers, over one rule base."""

    def __init__(self, triage: Triage, records: Records, env: jinja2.Environment):
        self.triage, self.records, self.env = triage, records, env
        self.rb = triage.rulebase
        self.lang = LANGS.get(records.region or "", "en")
        self._where = self.rb.plans.region(records.region)
        # The only form fields that may come more than once: a multi question's boxes.
        self._repeatable = frozenset(
            f"q.{q.id}" for q in self.rb.questions.values() if q.type == "multi"
        )

    def render(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        """A page from its template, with what every page shows."""
        html = self.env.get_template(name).render(
            lang=self.lang, rulebase=self.rb.identity(), disclaimer=self._disclaimer(), **context
        )
        return HTMLResponse(html, status)

    def _disclaimer(self) -> str:
        return self._where.fill(self.rb.plans.disclaimer.text)

    def error_page(self, exc: HttpError) -> HTMLResponse:
        """A request the pages cannot act on, said plainly, with a way to start again."""
        return self.render("error.html", exc.status, title="Sorry", message=exc.message)

    async def start(self, request: Request) -> Response:
        return self.render("start.html", title="Start")

    async def restart(self, request: Request) -> Response:
        """A GET of a page that only answers POSTs (a bookmark, say): the start page."""
        return RedirectResponse("/", 303)

    async def _answers(self, request: Request) -> tuple[dict[str, list[str]], Case]:
        """The submitted form, and the answers so far (its hidden field) as a valid case."""
        form = await read_form(request, self._repeatable)
        text = (form.get("answers") or ["{}"])[-1]
        try:
            raw = parse_json(text.encode("utf-8")) if text.strip() else {}
            if not isinstance(raw, dict):
                raise HttpError(400, "expected a JSON object")
            return form, case_of({"answers": raw}, self.rb, "interview")
        except HttpError as exc:
            where = f" ({exc.field})" if exc.field else ""
            raise HttpError(
                400, f"the answers on this page could not be read{where}: {exc.message}"
            ) from None

    def _screens(self, form: dict[str, list[str]], answers: dict[str, Any]) -> list[list[str]]:
        """The screens answered so far, from the page's hidden field, or found again.

        The field only saves work: each screen's question ids, so that Back knows what to
        undo without re-running the interview. One that does not fit the answers (a page
        from before a restart, or edited) is ignored, and ``replay`` finds the screens again.
        """
        try:
            screens = json.loads(form["screens"][-1])
            ids = [q for screen in screens for q in screen]
            if (
                all(isinstance(screen, list) and screen for screen in screens)
                and all(isinstance(q, str) and q in answers for q in ids)
                and len(set(ids)) == len(ids)
            ):
                return screens
        except (KeyError, ValueError, TypeError, RecursionError):
            pass
        return [list(screen) for screen in replay(self.triage, answers).screens]

    async def interview(self, request: Request) -> Response:
        """Take the answers to the screen shown, then show the next screen or the result."""
        form, case = await self._answers(request)
        answers = case.answers
        screens = self._screens(form, answers)
        action = (form.get("action") or ["next"])[-1]
        if action == "back":  # the last screen again, showing the answers it had
            shown: dict[str, list[str]] = {}
            if screens:
                for q in screens.pop():
                    value = answers.pop(q)
                    shown[f"q.{q}"] = (
                        [str(v) for v in value] if isinstance(value, tuple) else [str(value)]
                    )
            return self._screen(self.triage.evaluate(answers), answers, screens, form=shown)
        ev = self.triage.evaluate(answers)
        screen = ev.screen
        if action in ("next", "none") and screen is not None:
            given, errors = read_screen(screen, form, none_of_these=action == "none")
            if errors:
                return self._screen(ev, answers, screens, errors, form, 422)
            answers.update(given)
            screens.append(list(given))
            ev = self.triage.evaluate(answers)
        if ev.screen is not None:
            return self._screen(ev, answers, screens)
        asked = replay(self.triage, answers).asked  # once, for the record
        record = self.records.result(Case(case.id, "web", answers), asked=asked, evaluation=ev)
        self.records.audit(record, "/interview")  # the person sees the result whatever happens
        return self._result("result.html", record, answers, screens)

    def _screen(
        self,
        ev: Evaluation,
        answers: dict[str, Any],
        screens: list[list[str]],
        errors: dict[str, str] | None = None,
        form: dict[str, list[str]] | None = None,
        status: int = 200,
    ) -> Response:
        screen = ev.screen
        if screen is None:  # Back from the result: the result again would be no use
            return self.render("start.html", title="Start")
        title = screen_title(screen)
        return self.render(
            "screen.html",
            status,
            title=("Error: " if errors else "") + title,
            screen=screen,
            heading=title,
            hint=screen_help(screen),
            grouped=len(screen.questions) > 1,
            why={q.id: why(ev, q, self.rb) for q in screen.questions},
            errors=errors or {},
            submitted=form or {},
            answers_json=_json(answers),
            screens_json=json.dumps(screens),
            can_go_back=bool(screens),
        )

    def _result(
        self,
        template: str,
        record: dict[str, Any],
        answers: dict[str, Any],
        screens: list[list[str]] | None = None,
    ) -> Response:
        questions = self.rb.questions
        return self.render(
            template,
            title=record["label"],
            record=record,
            answers_json=_json(answers),
            screens_json=json.dumps(screens or []),
            unsure=[_asked_as(questions[q]) for q in record.get("unsure", [])],
            unanswered=[_asked_as(questions[q]) for q in record.get("unanswered", [])],
            answered=[
                (questions[q].prompt, answer_words(questions[q], v)) for q, v in answers.items()
            ],
            today=date.today().isoformat(),
        )

    async def _final(self, request: Request) -> tuple[dict[str, Any], dict[str, Any], list]:
        """The result record of a finished interview's answers, and its screens."""
        _, case = await self._answers(request)
        trace = replay(self.triage, case.answers)
        record = self.records.result(Case(case.id, "web", case.answers), asked=trace.asked)
        return record, case.answers, [list(screen) for screen in trace.screens]

    async def result(self, request: Request) -> Response:
        """The result page again (from the summary, say); the decision was audited already.

        Pages are not cached (they hold health answers), so the browser's own Back cannot
        show a result again: these pages have a button for it.
        """
        record, answers, screens = await self._final(request)
        return self._result("result.html", record, answers, screens)

    async def summary(self, request: Request) -> Response:
        """The summary for a doctor or physical therapist: answers, reasons, date, rule base."""
        record, answers, screens = await self._final(request)
        return self._result("summary.html", record, answers, screens)

    async def review(self, request: Request) -> Response:
        """For clinical reviewers: the rules that fired, with their ids and sources."""
        record, answers, screens = await self._final(request)
        return self._result("review.html", record, answers, screens)

    async def download(self, request: Request) -> Response:
        """The answers as a case file that ``triage batch --check`` reproduces."""
        record, answers, _ = await self._final(request)
        case_id = f"web-{date.today().isoformat()}"
        doc = case_document(case_id, answers, record)
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
        return Response(
            text.encode("utf-8"),
            media_type="application/yaml",
            headers={"Content-Disposition": f'attachment; filename="{case_id}.yaml"'},
        )

    async def download_fhir(self, request: Request) -> Response:
        """The answers as a FHIR QuestionnaireResponse, for a clinic's record system (and
        for ``triage batch``, which reads it as a case)."""
        from ..fhir.responses import response_json

        _, answers, _ = await self._final(request)
        case_id = f"web-{uuid.uuid4()}"  # unique: two downloads are two responses
        text = await run_in_threadpool(
            response_json, self.triage.rulebase, answers, case_id=case_id, status="completed"
        )
        return Response(
            text.encode("utf-8"),
            media_type="application/fhir+json",
            headers={"Content-Disposition": f'attachment; filename="{case_id}.fhir.json"'},
        )


def _asked_as(q: Any) -> str:
    """A question as the person saw it: its checklist line, or its prompt."""
    return q.item or q.prompt


def _json(answers: dict[str, Any]) -> str:
    return json.dumps(plain_answers(answers), ensure_ascii=False, separators=(",", ":"))
