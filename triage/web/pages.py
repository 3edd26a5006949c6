"""The interview on web pages: plain forms that work without script, one screen at a time.

Each form is a POST answered by a 303 redirect to a GET page (``/interview/3``, ``/result``,
``/summary``, ``/review``), so the browser's Back and reload fetch a page again instead of
resubmitting a form. The answers so far travel in the page's hidden fields (what a form's POST
acts on) and, for those GET pages, in a session cookie (``state``): never in a URL, so never
in an access log or the browser's history. Every answer is validated on every request as a
case file's answers are; the server keeps no session.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import date
from typing import Any

import jinja2
import yaml
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..cases import Case
from ..engine import Evaluation, Screen
from ..interview import screen_help, screen_title, why
from ..plans import Region
from ..regions import region_from_accept_language
from ..service import Triage
from ..words import dose, next_step
from . import state
from .api import case_of
from .bodies import HttpError, parse_json, read_form
from .records import Records, new_decision_id
from .screens import (
    YESNO_LABELS,
    answer_words,
    case_document,
    choices,
    plain_answers,
    read_screen,
    replay,
)
from .state import State
from .wording import (
    concluded_words,
    dial,
    findings_words,
    matched_words,
    phone_numbers,
    reason_words,
    words,
)

LANGS = {"uk": "en-GB", "us": "en-US"}
_DECISION_ID = re.compile(r"^[0-9a-f]{32}$")
# Where "Change country" may send the person back to: a page of the interview, nothing else.
_PAGE = re.compile(r"^/(?:interview/\d{1,3}|result|summary|review)?$")
_MAX_KEPT = 100  # characters of a rejected form value kept to show it again


def environment() -> jinja2.Environment:
    """The page templates, autoescaped."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("triage.web", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        choices=choices,
        YESNO_LABELS=YESNO_LABELS,
        next_step=next_step,
        dose=dose,
        answer_words=answer_words,
    )
    env.filters.update(dial=dial, words=words)
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
        self.regions = self.rb.plans.regions

    # -- what every page shows ----------------------------------------------------------

    def region(self, request: Request | None) -> Region:
        """The person's region: the country they chose ("Change country"), else the
        server's ``--region``, else their browser's language (en-GB: uk), else the default."""
        plans = self.rb.plans
        if request is None:
            return plans.region(self.records.region)
        chosen = request.cookies.get(state.COUNTRY_COOKIE)
        if chosen is not None and chosen in self.regions:
            return self.regions[chosen]
        if self.records.region:
            return plans.region(self.records.region)
        found = region_from_accept_language(
            self.regions, request.headers.get("accept-language", "")
        )
        return plans.region(found)

    def render(
        self, request: Request | None, name: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """A page from its template, with what every page shows."""
        where = self.region(request)
        here = request.url.path if request is not None else "/"
        html = self.env.get_template(name).render(
            lang=LANGS.get(where.id, "en"),
            rulebase=self.rb.identity(),
            disclaimer=where.fill(self.rb.plans.disclaimer.text),
            region=where,
            numbers=phone_numbers(where),
            here=here if _PAGE.match(here) else "/",
            **context,
        )
        return HTMLResponse(html, status)

    def error_page(self, exc: HttpError, request: Request | None = None) -> HTMLResponse:
        """A request the pages cannot act on, said plainly, with a way to start again."""
        return self.render(request, "error.html", exc.status, title="Sorry", message=exc.message)

    # -- the interview's state ------------------------------------------------------------

    def _load(self, request: Request) -> State | None:
        """The interview the browser's cookie holds, checked as a form's answers are; None
        if there is none, or it does not read (it is the person's to change)."""
        raw = state.read(request, time.time())
        if raw is None or not isinstance(raw.get("a"), dict):
            return None
        try:
            answers = case_of({"answers": raw["a"]}, self.rb, "interview").answers
        except HttpError:
            return None
        decision = raw.get("d")
        pending = raw.get("p")
        if not (
            isinstance(pending, dict)
            and isinstance(pending.get("step"), int)
            and isinstance(pending.get("form"), dict)
            and all(
                isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
                for k, v in pending["form"].items()
            )
        ):
            pending = None
        return State(
            answers=answers,
            screens=self._fit(raw.get("s"), answers),
            decision=decision
            if isinstance(decision, str) and _DECISION_ID.match(decision)
            else None,
            pending=pending,
        )

    def _fit(self, screens: Any, answers: dict[str, Any]) -> list[list[str]]:
        """``screens`` if they fit the answers (each screen's question ids, each id answered
        once), else the screens found again by ``replay``."""
        try:
            ids = [q for screen in screens for q in screen]
            if (
                isinstance(screens, list)
                and all(isinstance(screen, list) and screen for screen in screens)
                and all(isinstance(q, str) and q in answers for q in ids)
                and len(set(ids)) == len(ids)
            ):
                return [list(screen) for screen in screens]
        except TypeError:
            pass
        return [list(screen) for screen in replay(self.triage, answers).screens]

    def _redirect(self, request: Request, kept: State | None, to: str) -> Response:
        """See the page ``to`` (a GET), with ``kept`` in the browser for it."""
        response = RedirectResponse(to, 303)
        if kept is None:
            state.forget(response, request)
        else:
            state.save(response, request, kept, time.time())
        return response

    @staticmethod
    def _merge(saved: State | None, answers: dict[str, Any], screens: list[list[str]]) -> State:
        """The new state for ``answers``: the saved one if it only goes further along the
        same way (Back, then Continue with nothing changed: the later answers and the
        decision are kept), else these answers alone."""
        if (
            saved is not None
            and saved.screens[: len(screens)] == screens
            and all(q in saved.answers and saved.answers[q] == v for q, v in answers.items())
        ):
            return State(saved.answers, saved.screens, saved.decision)
        return State(answers, screens)

    def _advance(self, request: Request, kept: State, step: int) -> Response:
        """On to screen ``step`` if it was answered before, else the next screen to answer,
        else the result (a decision made and audited once, under its own id)."""
        if step <= len(kept.screens):
            return self._redirect(request, kept, f"/interview/{step}")
        ev = self.triage.evaluate(kept.answers)
        if ev.screen is not None:
            return self._redirect(request, kept, f"/interview/{len(kept.screens) + 1}")
        if kept.decision is None:
            kept.decision = self._decide(request, kept.answers, ev)
        return self._redirect(request, kept, "/result")

    def _decide(self, request: Request, answers: dict[str, Any], ev: Evaluation) -> str:
        """Record a decision in the audit log under a new id (the person sees the result
        whatever happens to the log)."""
        asked = replay(self.triage, answers).asked
        record = self.records.result(
            Case("interview", "web", answers),
            asked=asked,
            evaluation=ev,
            region=self.region(request).id,
        )
        decision_id = new_decision_id()
        self.records.audit(record, "/interview", decision_id)
        return decision_id

    # -- the pages --------------------------------------------------------------------------

    async def start(self, request: Request) -> Response:
        """The start page; coming here ("Start again") clears the answers from the browser."""
        response = self.render(request, "start.html", title="Start")
        if state.COOKIE in request.cookies:
            state.forget(response, request)
        return response

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
        except (KeyError, ValueError, RecursionError):
            screens = None
        return self._fit(screens, answers)

    def _read(
        self, screen: Screen, form: dict[str, list[str]], answers: dict[str, Any], none: bool
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """A screen's answers and errors. Questions left blank are no error when the
        answers given already decide them out (a yes to an emergency sign: no other sign
        can change what to do, so the way to the result is open at once)."""
        given, errors = read_screen(screen, form, none_of_these=none)
        blank = [q for q in errors if not any(v.strip() for v in form.get(f"q.{q}", []))]
        if errors and given and len(blank) == len(errors):
            needs = self.triage.evaluate({**answers, **given}).needs
            if not any(q in needs for q in blank):
                return given, {}
        return given, errors

    def _decisive(self, screen: Screen, answers: dict[str, Any]) -> bool:
        """Whether a yes to any one question of the screen leaves the others unneeded (so the
        page can say that one yes is enough)."""
        ids = {q.id for q in screen.questions}
        for q in screen.questions:
            if q.type != "yesno":
                return False
            needs = self.triage.evaluate({**answers, q.id: "yes"}).needs
            if ids & set(needs):
                return False
        return True

    async def interview(self, request: Request) -> Response:
        """Take the answers to the screen shown; then see the next screen or the result."""
        form, case = await self._answers(request)
        answers = case.answers
        screens = self._screens(form, answers)
        saved = self._load(request)
        action = (form.get("action") or ["next"])[-1]
        if action == "back":  # the last screen answered, showing its answers
            kept = self._merge(saved, answers, screens)
            return self._redirect(request, kept, f"/interview/{max(len(screens), 1)}")
        ev = self.triage.evaluate(answers)
        if action in ("next", "none") and ev.screen is not None:
            given, errors = self._read(ev.screen, form, answers, action == "none")
            step = len(screens) + 1
            if errors:  # the screen again, with what was chosen and what is wrong
                kept = self._merge(saved, answers, screens)
                shown = {
                    f"q.{q.id}": [v[:_MAX_KEPT] for v in form.get(f"q.{q.id}", [])[:20]]
                    for q in ev.screen.questions
                }
                kept.pending = {"step": step, "form": shown, "none": action == "none"}
                return self._redirect(request, kept, f"/interview/{step}")
            kept = self._merge(saved, {**answers, **given}, [*screens, list(given)])
            return self._advance(request, kept, step + 1)
        # "start" begins afresh; another action (none) keeps the answers sent
        kept = self._merge(None if action == "start" else saved, answers, screens)
        return self._advance(request, kept, len(screens) + 1)

    async def screen_page(self, request: Request) -> Response:
        """Screen ``step`` of the interview in the browser's cookie, showing the answers it
        had (Back, Forward or reload land here)."""
        raw = str(request.path_params["step"])
        if not raw.isdigit() or len(raw) > 4:
            return RedirectResponse("/interview/1", 303)
        step = int(raw)
        kept = self._load(request)
        if kept is None:
            if step != 1:
                return self._redirect(request, None, "/")
            kept = State()
        if step < 1 or step > len(kept.screens) + 1:
            return RedirectResponse(f"/interview/{min(max(step, 1), len(kept.screens) + 1)}", 303)
        later = {q for screen in kept.screens[step - 1 :] for q in screen}
        before = {q: v for q, v in kept.answers.items() if q not in later}
        ev = self.triage.evaluate(before)
        if ev.screen is None:
            return self._advance(request, kept, step)
        errors: dict[str, str] = {}
        if kept.pending and kept.pending["step"] == step:
            shown = kept.pending["form"]
            _, errors = self._read(ev.screen, shown, before, bool(kept.pending.get("none")))
        else:
            shown = {
                f"q.{q.id}": _as_values(kept.answers[q.id])
                for q in ev.screen.questions
                if q.id in kept.answers
            }
        return self._screen(
            request, ev, before, kept.screens[: step - 1], errors, shown, 422 if errors else 200
        )

    def _screen(
        self,
        request: Request,
        ev: Evaluation,
        answers: dict[str, Any],
        screens: list[list[str]],
        errors: dict[str, str] | None = None,
        form: dict[str, list[str]] | None = None,
        status: int = 200,
    ) -> Response:
        screen = ev.screen
        assert screen is not None
        title = screen_title(screen)
        grouped = len(screen.questions) > 1
        return self.render(
            request,
            "screen.html",
            status,
            title=("Error: " if errors else "") + title,
            screen=screen,
            heading=title,
            hint=screen_help(screen),
            grouped=grouped,
            decisive=grouped and self._decisive(screen, answers),
            why={q.id: why(ev, q, self.rb) for q in screen.questions},
            errors=errors or {},
            submitted=form or {},
            answers_json=_json(answers),
            screens_json=json.dumps(screens),
            can_go_back=bool(screens),
        )

    async def _adopt(self, request: Request) -> Response:
        """A POST of answers to a result page (an older page's button): keep them, and see
        the page as a GET."""
        form, case = await self._answers(request)
        screens = self._screens(form, case.answers)
        saved = self._load(request)
        if saved is not None and saved.answers == case.answers:
            kept = State(saved.answers, screens, saved.decision)
        else:
            kept = State(case.answers, screens)
        return self._redirect(request, kept, request.url.path)

    async def _shown(self, request: Request, template: str, asked: bool = False) -> Response:
        """A page of the result of the answers in the browser's cookie."""
        kept = self._load(request)
        if kept is None:
            return self._redirect(request, None, "/")
        answers = kept.answers
        ev = self.triage.evaluate(answers)
        new = kept.decision is None
        if new:  # answers that came here without a decision (a POST of them): made now
            kept.decision = self._decide(request, answers, ev)
        trace = replay(self.triage, answers).asked if asked else None
        record = self.records.result(
            Case("interview", "web", answers),
            asked=trace,
            evaluation=ev,
            region=self.region(request).id,
        )
        response = self._result(request, template, record, answers, kept)
        if new:
            state.save(response, request, kept, time.time())
        return response

    def _result(
        self,
        request: Request,
        template: str,
        record: dict[str, Any],
        answers: dict[str, Any],
        kept: State,
    ) -> Response:
        questions = self.rb.questions
        # a sign answered "not sure" is said once, in the reason it softened
        said = {q for r in record["reasons"] if r.get("softened_by") for q in r.get("unsure") or ()}
        return self.render(
            request,
            template,
            title=record["label"],
            record=record,
            decision_id=kept.decision,
            last_step=max(len(kept.screens), 1),
            reasons=[dict(r, words=reason_words(self.rb, r)) for r in record["reasons"]],
            answers_json=_json(answers),
            screens_json=json.dumps(kept.screens),
            unsure=[_asked_as(questions[q]) for q in record.get("unsure", []) if q not in said],
            findings=findings_words(self.rb, record),
            unanswered=[_asked_as(questions[q]) for q in record.get("unanswered", [])],
            answered=[
                (questions[q].prompt, answer_words(questions[q], v)) for q, v in answers.items()
            ],
            concluded_words=lambda c: concluded_words(self.rb, c),
            matched_words=lambda m: matched_words(self.rb, m),
            rule_titles={r.id: r.title for r in self.rb.rules},
            asked_as={q.id: _asked_as(q) for q in questions.values()},
            today=date.today().isoformat(),
        )

    async def result(self, request: Request) -> Response:
        """The result: its decision, what to do now, and why."""
        if request.method == "POST":
            return await self._adopt(request)
        return await self._shown(request, "result.html")

    async def summary(self, request: Request) -> Response:
        """The summary for a doctor or physical therapist: answers, reasons, date, rule base."""
        if request.method == "POST":
            return await self._adopt(request)
        return await self._shown(request, "summary.html")

    async def review(self, request: Request) -> Response:
        """For clinical reviewers: the rules that fired, with their ids and sources."""
        if request.method == "POST":
            return await self._adopt(request)
        return await self._shown(request, "review.html", asked=True)

    async def country(self, request: Request) -> Response:
        """Choose the country whose phone numbers the pages give (kept in a cookie that holds
        only the region's id, until the browser closes)."""
        if request.method == "GET":
            back = request.query_params.get("next", "/")
            return self.render(
                request,
                "country.html",
                title="Change country",
                regions=list(self.regions.values()),
                back=back if _PAGE.match(back) else "/",
            )
        form = await read_form(request)
        chosen = (form.get("region") or [""])[-1]
        back = (form.get("next") or ["/"])[-1]
        if chosen not in self.regions:
            raise HttpError(422, "please choose one of the countries listed")
        response = RedirectResponse(back if _PAGE.match(back) else "/", 303)
        response.set_cookie(
            state.COUNTRY_COOKIE,
            chosen,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return response

    async def _final(self, request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
        """The result record of a finished interview's answers (a download's form)."""
        _, case = await self._answers(request)
        trace = replay(self.triage, case.answers)
        record = self.records.result(
            Case(case.id, "web", case.answers), asked=trace.asked, region=self.region(request).id
        )
        return record, case.answers

    async def download(self, request: Request) -> Response:
        """The answers as a case file that ``triage batch --check`` reproduces."""
        record, answers = await self._final(request)
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

        _, answers = await self._final(request)
        case_id = f"web-{uuid.uuid4()}"  # unique: two downloads are two responses
        text = await run_in_threadpool(
            response_json, self.triage.rulebase, answers, case_id=case_id, status="completed"
        )
        return Response(
            text.encode("utf-8"),
            media_type="application/fhir+json",
            headers={"Content-Disposition": f'attachment; filename="{case_id}.fhir.json"'},
        )


def _as_values(value: Any) -> list[str]:
    """An answer as the form values that show it chosen."""
    return [str(v) for v in value] if isinstance(value, tuple) else [str(value)]


def _asked_as(q: Any) -> str:
    """A question as the person saw it: its checklist line, or its prompt."""
    return q.item or q.prompt


def _json(answers: dict[str, Any]) -> str:
    return json.dumps(plain_answers(answers), ensure_ascii=False, separators=(",", ":"))
