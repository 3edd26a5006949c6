"""One person's answers never change another's result: many evaluations at once, in threads
of one process and through every endpoint of a real server, each checked against the same
case evaluated alone; and the audit log they leave replays without a difference."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.cookiejar import CookieJar
from typing import Any

import pytest
from conftest import ROOT
from web_support import DEADLINE, Server, client

from triage.cases import Case, iter_cases
from triage.fhir.responses import response
from triage.service import Triage

pytestmark = pytest.mark.slow  # a real server

THREADS = 16


@contextmanager
def eager_switching() -> Iterator[None]:
    """Threads switch every microsecond rather than every 5 ms, so that evaluations overlap
    inside the engine's run, where a shared engine would mix two cases' facts."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def corpus(triage: Triage, most: int = 48) -> list[Case]:
    """A fixed sample of the validation corpus's cases, every outcome among them (the whole
    corpus would make minutes of requests without finding more)."""
    cases = [c for c in iter_cases([str(ROOT / "cases")], triage.rulebase) if isinstance(c, Case)]
    sample = random.Random(11).sample(cases, min(most, len(cases)))
    seen = {triage.evaluate(c.answers).outcome.disposition for c in sample}
    for case in cases:  # any outcome the sample missed
        outcome = triage.evaluate(case.answers).outcome.disposition
        if outcome not in seen:
            seen.add(outcome)
            sample.append(case)
    return sample


def mixed_answers(triage: Triage, seed: int = 7) -> list[dict[str, Any]]:
    """Answers of every kind: each corpus case whole, and with half of its answers left out
    (an interview on its way, whose next questions depend on every answer)."""
    rng = random.Random(seed)
    out = []
    for case in corpus(triage):
        out.append(dict(case.answers))
        keys = sorted(case.answers)
        out.append({k: case.answers[k] for k in rng.sample(keys, len(keys) // 2)})
    return out


def summary(ev) -> tuple:
    """What one evaluation decided and would ask next."""
    return (
        ev.outcome.disposition,
        ev.outcome.timeframe,
        tuple(ev.fired),
        tuple(ev.unanswered),
        tuple(q.id for q in ev.next_questions),
    )


def test_threads_sharing_one_triage_get_their_own_results(triage):
    answer_sets = mixed_answers(triage)
    alone = [summary(triage.evaluate(a)) for a in answer_sets]
    # Both of the engine's networks (complete answers, and answers still missing) in play.
    assert len({len(a) for a in answer_sets}) > 2
    shared = Triage(triage.rulebase)  # no network built yet: threads race to build it too
    order = [i for _ in range(3) for i in range(len(answer_sets))]
    random.Random(1).shuffle(order)
    with eager_switching(), ThreadPoolExecutor(THREADS) as pool:
        got = list(pool.map(lambda i: (i, summary(shared.evaluate(answer_sets[i]))), order))
    wrong = [(i, s) for i, s in got if s != alone[i]]
    assert not wrong, f"{len(wrong)} of {len(got)} evaluations differ from the case alone"
    assert len(got) == len(order)


# The server: every entry point that evaluates answers, each request with its expected reply.

Check = Callable[[bytes], Any]


def _json(body: bytes) -> Any:
    return json.loads(body)


def evaluate_request(case: Case) -> tuple[str, bytes, str, Check]:
    doc = {"id": case.id, "answers": case.answers}
    body = json.dumps(doc, default=list).encode()

    def decision(reply: bytes) -> tuple:
        r = _json(reply)
        return r["id"], r["disposition"], r["timeframe"], r["fired"], r["unanswered"]

    return "/v1/evaluate", body, "application/json", decision


def interview_request(answers: dict[str, Any]) -> tuple[str, bytes, str, Check]:
    body = json.dumps({"answers": answers}, default=list).encode()

    def step(reply: bytes) -> tuple:
        r = _json(reply)
        if r["done"]:
            res = r["result"]
            return "done", res["disposition"], res["timeframe"], res["fired"]
        return "ask", tuple(q["id"] for q in r["screen"]["questions"])

    return "/v1/interview", body, "application/json", step


def page_request(answers: dict[str, Any]) -> tuple[str, bytes, str, Check]:
    """The web page's form, as a browser posts it on the last screen (the answers so far
    travel in the page)."""
    fields = {"answers": json.dumps(answers, default=list), "action": "next"}
    body = urllib.parse.urlencode(fields).encode()

    def page(reply: bytes) -> str:
        text = reply.decode()
        # The page's one main heading says the decision (or asks the next question).
        found = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.S)
        assert found, text[:500]
        return re.sub(r"\s+", " ", found.group(1)).strip()

    return "/interview", body, "application/x-www-form-urlencoded", page


def _qr(triage: Triage, case: Case) -> dict[str, Any]:
    qr = json.loads(response(triage.rulebase, case.answers, case_id=case.id).model_dump_json())
    qr["subject"] = {"reference": "Patient/p1"}
    return qr


def next_question_request(triage: Triage, case: Case) -> tuple[str, bytes, str, Check]:
    qr = _qr(triage, case)
    qr["status"] = "in-progress"
    body = json.dumps(qr).encode()

    def outcome(reply: bytes) -> tuple:
        r = _json(reply)
        asked = [i.get("linkId") for i in r.get("contained", [{}])[0].get("item", [])]
        extensions = json.dumps(r.get("extension", []), sort_keys=True)
        return r.get("status"), tuple(asked), extensions

    return "/fhir/Questionnaire/$next-question", body, "application/fhir+json", outcome


def cds_request(triage: Triage, case: Case) -> tuple[str, bytes, str, Check]:
    doc = {
        "hook": "patient-view",
        "hookInstance": "5ae9e5a4-4bd1-4a2b-bd6f-3f7a63a8e0d9",
        "context": {"userId": "Practitioner/1", "patientId": "p1"},
        "prefetch": {"questionnaireResponse": _qr(triage, case)},
    }
    body = json.dumps(doc).encode()

    def cards(reply: bytes) -> tuple:
        return tuple((c["indicator"], c["summary"]) for c in _json(reply)["cards"])

    return "/cds-services/back-neck-triage", body, "application/json", cards


def post(url: str, body: bytes, media_type: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers={"content-type": media_type})
    # each client its own cookies, as a browser's: the page's POST is answered by a 303 to
    # the result page, which reads the answers from the cookie the 303 sets
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    try:
        with opener.open(request, timeout=DEADLINE) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def requests_for_every_endpoint(triage) -> list[tuple[str, bytes, str, Check]]:
    cases = corpus(triage)
    rng = random.Random(3)
    out = []
    for case in cases:
        partial = {k: case.answers[k] for k in sorted(case.answers)[: len(case.answers) // 2]}
        out += [
            evaluate_request(case),
            interview_request(dict(case.answers)),
            interview_request(partial),
            next_question_request(triage, case),
            cds_request(triage, case),
        ]
        if not triage.evaluate(case.answers).next_questions:  # the page's last screen
            out.append(page_request(dict(case.answers)))
    rng.shuffle(out)
    return out


def test_concurrent_clients_of_every_endpoint_get_the_answer_given_alone(
    triage, requests_for_every_endpoint, tmp_path
):
    log = tmp_path / "audit.jsonl"
    # Expected replies: each request alone, in this process, one after another.
    alone = client(audit_log=None)
    expected = []
    paths = set()
    for path, body, media_type, check in requests_for_every_endpoint:
        reply = alone.post(path, content=body, headers={"content-type": media_type})
        assert reply.status_code == 200, (path, reply.text[:300])
        expected.append(check(reply.content))
        paths.add(path)
    assert len(paths) == 5  # the JSON API twice over, the page, $next-question, CDS Hooks

    server = Server("--audit-log", str(log))
    try:
        work = [i for _ in range(2) for i in range(len(requests_for_every_endpoint))]
        random.Random(5).shuffle(work)

        def one(i: int) -> tuple[int, int, Any]:
            path, body, media_type, check = requests_for_every_endpoint[i]
            status, reply = post(server.url + path, body, media_type)
            return i, status, check(reply) if status == 200 else reply[:300]

        with ThreadPoolExecutor(32) as pool:
            got = list(pool.map(one, work))
    finally:
        server.stop()
    failed = [(requests_for_every_endpoint[i][0], s, r) for i, s, r in got if s != 200]
    assert not failed, failed[:3]
    wrong = [(requests_for_every_endpoint[i][0], r) for i, s, r in got if r != expected[i]]
    assert not wrong, f"{len(wrong)} of {len(got)} replies differ from the request alone"

    # The audit log: one whole line per decision, and each replays to what it recorded.
    lines = log.read_bytes().split(b"\n")
    assert lines[-1] == b"" and all(lines[:-1]), "a blank or torn line in the audit log"
    records = [json.loads(line) for line in lines[:-1]]
    assert records, "no decision was audited"
    replay = subprocess.run(
        [sys.executable, "-m", "triage", "audit", str(log), "--replay", "--exit-code"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr  # 1: some would differ


def test_threads_of_one_server_process_write_whole_audit_lines(triage, tmp_path):
    """Decisions audited by many threads of one process at once: no blank or mixed lines."""
    from triage.audit import AuditLog, decision_record

    log_path = tmp_path / "audit.jsonl"
    cases = corpus(triage)[:40]
    records = [triage.result(c) for c in cases]
    log = AuditLog(str(log_path))
    barrier = threading.Barrier(THREADS)

    def write(k: int) -> None:
        barrier.wait(timeout=DEADLINE)
        for j in range(10):
            log.append(decision_record(records[(k + j) % len(records)], command="serve"))

    with eager_switching(), ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(write, range(THREADS)))
    lines = log_path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    assert len(lines) - 1 == THREADS * 10
    for line in lines[:-1]:
        json.loads(line)
