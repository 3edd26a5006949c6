"""Benchmark `triage serve`: a bounded load test on loopback, beside `triage batch`.

Starts the real server (`triage serve --port 0 --no-access-log`) with one worker and with two,
and sends it requests at a fixed concurrency from a separate process: by default this
script's own lean asyncio client over raw sockets (uvloop where installed), which measures
after a warm-up second with every connection open, or Debian's `wrk` with a Lua script
(`--client wrk`, `apt-get install wrk`), which measures from its first request. Each run lasts
a fixed time and only ever talks to 127.0.0.1.
It prints requests per second, the p50/p99 latency, the server's CPU time per request and
(with the asyncio client) the mean response body in bytes for `POST /v1/evaluate` (random
valid cases) and `POST /v1/interview` (the answers of a random point in an interview). With
one worker, a minimal Starlette app is loaded beside it by the same client, in the same runs
(interleaved): nothing of triage in its request path, it reads each request's body and
answers one of the server's own responses to the first requests of that route, saved before
the load starts (so the bodies are the same sizes), under uvicorn with the options `triage
serve` gives it (`triage.web.server.uvicorn_options`). Then the ratio of each route's
requests per second to the minimal app's, against the targets; then `triage batch` on the
same cases, then where a request's time goes: the engine's work in process against what HTTP
adds. Each figure is the best of a few runs (`--runs`), since other work on a shared machine
only ever slows a run down; the load generator shares the machine's cores.

    uv run python benchmarks/bench_serve.py                  # 3 runs of 10 s each, ~5 min
    uv run python benchmarks/bench_serve.py --runs 1 -d 5    # a quick look
    uv run python benchmarks/bench_serve.py --client wrk     # the load from wrk
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import generate
from bench_batch import run as run_batch

from triage.cases import validate_case
from triage.formats import json_bytes, json_lines
from triage.service import Triage
from triage.web.screens import ScreenEncoder

HOST = "127.0.0.1"  # loopback only: this is a load test
WARM_UP = 1.0  # seconds the asyncio client runs before it measures
SAMPLE = 200  # real responses per endpoint that the minimal app answers with
WRK_SCRIPT = """
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODIES")) do bodies[#bodies + 1] = line end
local i = math.random(#bodies)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
done = function(summary, latency, requests)
  io.write(string.format(
    "BENCH {\\"requests\\": %d, \\"seconds\\": %f, \\"p50_us\\": %d, "
    .. "\\"p99_us\\": %d, \\"errors\\": %d}\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout))
end
"""


def interview_bodies(cases: list[dict], triage: Triage, rng: random.Random) -> list[str]:
    """For each case, the answers of a random point of its interview (some are final)."""
    out = []
    for case in cases:
        given: dict = {}
        stops = rng.randint(0, 9)
        while stops and (screen := triage.evaluate(given).screen) is not None:
            for q in screen.questions:
                value = case["answers"].get(q.id)
                given[q.id] = q.parse(value if value is not None else _default(q))
            stops -= 1
        plain = {q: list(v) if isinstance(v, tuple) else v for q, v in given.items()}
        out.append(json.dumps({"answers": plain}))
    return out


def _default(q):
    if q.type == "multi":
        return []
    if q.type in ("integer", "number"):
        return q.min
    return "no" if q.type == "yesno" else q.values[0]


class Server:
    """A `triage serve` process on a free loopback port (``bare``: the minimal app instead,
    serving the responses in that file)."""

    def __init__(self, workers: int, bare: Path | None = None):
        command = (
            [sys.executable, __file__, "--_bare", str(bare)]
            if bare
            else [
                *(sys.executable, "-m", "triage", "serve", "--host", HOST, "--port", "0"),
                *("--workers", str(workers), "--no-access-log"),
            ]
        )
        self.proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        line = self.proc.stdout.readline()
        if not line.startswith("triage serve: http://"):
            self.stop()
            raise SystemExit(f"the server did not start: {line!r}")
        self.url = line.split()[2]
        deadline = time.monotonic() + 60
        while True:  # every worker up: each answers before the load starts
            try:
                for _ in range(4 * workers):
                    urllib.request.urlopen(self.url + "/healthz", timeout=5).read()
                break
            except urllib.error.HTTPError:
                self.stop()
                raise
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and its worker processes (Linux /proc)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid, ppid = int(entry), int(fields[1])
            if pid == self.proc.pid or ppid == self.proc.pid:
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def real_responses(url: str, paths: dict[str, Path], out: Path) -> None:
    """The server's own response bodies to the first ``SAMPLE`` requests of each endpoint,
    saved for the minimal app (JSON: path -> bodies as text)."""
    saved = {}
    for path, source in paths.items():
        lines = source.read_text().splitlines()[:SAMPLE]
        answers = []
        for line in lines:
            request = urllib.request.Request(
                url + path, data=line.encode(), headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                answers.append(response.read().decode())
        saved[path] = answers
    out.write_text(json.dumps(saved))


def bare_app(responses: dict[str, list[bytes]]):
    """The yardstick: a Starlette app with nothing of triage in its request path. Each route
    reads the body and answers one of the real responses saved for it (the same sizes)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    def endpoint(answers: list[bytes]):
        async def answer(request: Request) -> Response:
            body = await request.body()
            return Response(answers[len(body) % len(answers)], media_type="application/json")

        return answer

    async def healthz(request: Request) -> Response:
        return Response(b"ok")

    routes = [Route(p, endpoint(a), methods=["POST"]) for p, a in responses.items()]
    return Starlette(routes=[*routes, Route("/healthz", healthz)])


def _bare_server(responses_path: str) -> None:
    """The minimal app under uvicorn, one worker, with the options `triage serve` gives it."""
    import uvicorn

    from triage.web.server import address, bind, uvicorn_options
    from triage.web.transport import Limits

    saved = json.loads(Path(responses_path).read_text())
    app = bare_app({p: [a.encode() for a in answers] for p, answers in saved.items()})
    sock = bind(HOST, 0)
    print(f"triage serve: {address(sock)} (the minimal app)", flush=True)
    config = uvicorn.Config(app, lifespan="on", **uvicorn_options(Limits()))
    uvicorn.Server(config).run(sockets=[sock])


def load_wrk(url: str, bodies: Path, concurrency: int, seconds: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(WRK_SCRIPT)
    try:
        out = subprocess.run(
            [
                *(
                    "wrk",
                    "-t1",
                    f"-c{concurrency}",
                    f"-d{max(1, round(seconds))}s",
                    "--timeout",
                    "5s",
                ),
                *("-s", fh.name, url),
            ],
            env={**os.environ, "BENCH_BODIES": str(bodies)},
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        os.unlink(fh.name)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk failed: {out.stdout[-500:]} {out.stderr[-500:]}")
    return json.loads(line[6:])


def load_asyncio(url: str, bodies: Path, concurrency: int, seconds: float) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--_load", url, str(bodies), str(concurrency), str(seconds)],
        capture_output=True,
        text=True,
        timeout=seconds + WARM_UP + 60,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _asyncio_client(url: str, bodies_path: str, concurrency: int, seconds: float) -> None:
    """The fallback load generator (its own process): keep-alive connections, raw HTTP/1.1."""
    host_port, _, path = url.removeprefix("http://").partition("/")
    host, port = host_port.rsplit(":", 1)
    bodies = Path(bodies_path).read_bytes().splitlines()
    requests = [
        (
            f"POST /{path} HTTP/1.1\r\nHost: {host_port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(b)}\r\n\r\n"
        ).encode()
        + b
        for b in bodies
    ]
    latencies: list[float] = []
    errors = 0
    body_bytes = 0  # of the measured responses
    sent = 0  # every request, the warm-up second's too

    async def connection(offset: int, start: float, end: float) -> None:
        nonlocal errors, sent, body_bytes
        reader, writer = await asyncio.open_connection(host, int(port))
        i = offset
        while True:
            i = (i + 1) % len(requests)
            t = time.perf_counter()
            if t >= end:
                break
            writer.write(requests[i])
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            sent += 1
            if t >= start:  # after the warm-up second, with every connection open
                latencies.append(time.perf_counter() - t)
                body_bytes += length
                if not head.startswith(b"HTTP/1.1 200"):
                    errors += 1
        writer.close()

    async def main() -> None:
        start = time.perf_counter() + WARM_UP
        await asyncio.gather(
            *(connection(k * 997, start, start + seconds) for k in range(concurrency))
        )

    try:
        import uvloop  # the cheaper loop, where there is one: the client shares the cores

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
    elapsed = seconds
    latencies.sort()
    n = len(latencies)
    print(
        json.dumps(
            {
                "requests": n,
                "seconds": elapsed,
                "p50_us": int(latencies[n // 2] * 1e6),
                "p99_us": int(latencies[min(n - 1, int(n * 0.99))] * 1e6),
                "errors": errors,
                "all_requests": sent,
                "body_bytes": body_bytes / max(1, n),
            }
        )
    )


def engine_costs(cases: list[dict], interviews: list[str], triage: Triage) -> tuple[float, float]:
    """CPU microseconds per request of the work behind each endpoint, in this process, no
    HTTP (the best of three passes, as the load figures are the best of their runs)."""
    rb = triage.rulebase
    docs = [json.dumps(c) for c in cases]
    screens = ScreenEncoder(rb.questions.values(), rb.groups.values())  # as the server has it

    def evaluate() -> None:
        for text in docs:
            case = validate_case(json.loads(text), rb, source="api", default_id="request")
            json_lines([triage.result(case)])

    def interview() -> None:
        for text in interviews:
            case = validate_case(json.loads(text), rb, source="api", default_id="interview")
            ev = triage.evaluate(case.answers)
            screen = ev.screen
            body = (
                {"screen": screens.screen(screen, ev)}
                if screen
                else {"result": triage.result(case, evaluation=ev)}
            )
            json_bytes(body)

    def best(work, n: int) -> float:
        times = []
        for _ in range(3):
            t = time.process_time()
            work()
            times.append(time.process_time() - t)
        return min(times) / n * 1e6

    return best(evaluate, len(docs)), best(interview, len(interviews))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--_load":
        _asyncio_client(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--_bare":
        _bare_server(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--cases", type=int, default=10_000, help="distinct request bodies")
    parser.add_argument("-c", "--concurrency", type=int, default=32)
    parser.add_argument("-d", "--seconds", type=float, default=10.0, help="per run")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (the best is shown)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--client",
        choices=["asyncio", "wrk"],
        default="asyncio",
        help="the load generator: this script's own asyncio client (measures after a warm-up "
        "second, with every connection open), or Debian's wrk (measures from its start)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.client == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    client = args.client
    load = load_wrk if client == "wrk" else load_asyncio
    triage = Triage.load()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        cases_path = Path(tmp, "cases.jsonl")
        generate(cases_path, args.cases, args.seed, 0.0)
        cases = [json.loads(line) for line in cases_path.read_text().splitlines()]
        interview_path = Path(tmp, "interview.jsonl")
        # Tracing an interview takes tens of ms: 500 of them are varied enough.
        interviews = interview_bodies(cases[:500], triage, rng)
        interview_path.write_text("\n".join(interviews) + "\n")
        endpoints = {"/v1/evaluate": cases_path, "/v1/interview": interview_path}
        print(
            f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; client: {client}, "
            f"concurrency {args.concurrency}, {args.seconds:g} s per run, best of {args.runs}"
        )
        print(
            f"{'endpoint':<15} {'server':<8} {'workers':>7} {'requests/s':>10} {'p50 ms':>7} "
            f"{'p99 ms':>7} {'server CPU µs/request':>22} {'bytes':>6}"
        )
        best: dict[tuple[str, int], dict] = {}
        runs: dict[tuple[str, int], list[dict]] = {}
        bare_best: dict[str, dict] = {}
        for workers in args.workers:
            server = Server(workers)
            bare = None
            try:
                if workers == 1:  # the minimal app beside it, answering the same sizes
                    responses = Path(tmp, "responses.json")
                    real_responses(server.url, endpoints, responses)
                    bare = Server(1, responses)
                contenders = [("triage", server)] + ([("minimal", bare)] if bare else [])
                for path, bodies in endpoints.items():
                    results: dict[str, list[dict]] = {name: [] for name, _ in contenders}
                    for _, s in contenders:
                        load(s.url + path, bodies, args.concurrency, 2)  # warm up
                    for _ in range(args.runs):
                        for name, s in contenders:  # interleaved: the same conditions
                            cpu = s.cpu_seconds()
                            r = load(s.url + path, bodies, args.concurrency, args.seconds)
                            r["rps"] = r["requests"] / r["seconds"]
                            done = r.get("all_requests", r["requests"])  # warm-up requests too
                            r["cpu_us"] = (s.cpu_seconds() - cpu) / max(1, done) * 1e6
                            results[name].append(r)
                    for name, _ in contenders:
                        top = max(results[name], key=lambda r: r["rps"])
                        if name == "triage":
                            best[path, workers] = top
                            runs[path, workers] = results[name]
                        else:
                            bare_best[path] = top
                        errors = sum(r["errors"] for r in results[name])
                        note = f"  ({errors} errors)" if errors else ""
                        size = f"{top['body_bytes']:>6,.0f}" if "body_bytes" in top else f"{'':>6}"
                        print(
                            f"{path:<15} {name:<8} {workers:>7} {top['rps']:>10,.0f} "
                            f"{top['p50_us'] / 1000:>7.1f} {top['p99_us'] / 1000:>7.1f} "
                            f"{min(r['cpu_us'] for r in results[name]):>22,.0f} {size}{note}",
                            flush=True,
                        )
            finally:
                server.stop()
                if bare:
                    bare.stop()
        if bare_best:
            print("\nagainst the minimal app (one worker each, requests/s of the best runs):")
            for path, target in (("/v1/evaluate", 0.25), ("/v1/interview", 0.15)):
                ratio = best[path, 1]["rps"] / bare_best[path]["rps"]
                print(f"  {path:<15} {ratio:>5.2f}x  (target >= {target:.2f}x)")
        print(f"\n`triage batch` on the same {args.cases:,} cases (JSON Lines in and out):")
        for jobs in args.workers:
            seconds = min(run_batch(cases_path, jobs)[0] for _ in range(args.runs))
            print(f"  --jobs {jobs}: {args.cases / seconds:,.0f} cases/s ({seconds:.1f} s)")
        sample = min(len(cases), 500)
        evaluate_us, interview_us = engine_costs(cases[:sample], interviews[:sample], triage)
        print("\nwhere a request's CPU time goes (one worker; microseconds per request):")
        print(f"  {'endpoint':<15} {'engine etc.':>11} {'HTTP':>6} {'total':>6}")
        for path, engine in (("/v1/evaluate", evaluate_us), ("/v1/interview", interview_us)):
            if (path, 1) in best:
                total = min(r["cpu_us"] for r in runs[path, 1])
                print(f"  {path:<15} {engine:>11.0f} {total - engine:>6.0f} {total:>6.0f}")
        print(
            "  (engine etc.: parse, validate, evaluate, build and encode the answer, in process;"
            "\n   total: the server's CPU time per request under load; HTTP: the difference,"
            "\n   uvicorn and Starlette. CPU time, unlike wall time, hardly depends on what"
            "\n   else the machine runs.)"
        )


if __name__ == "__main__":
    main()
