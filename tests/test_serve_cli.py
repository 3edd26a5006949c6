"""`triage serve` as a process: the address it prints, workers, the access log, stopping."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CALM, ROOT
from web_support import DEADLINE, Server

from triage.audit import read_log

pytestmark = pytest.mark.slow  # real servers


@pytest.fixture()
def serve():
    servers: list[Server] = []

    def start(*args: str, **kw) -> Server:
        server = Server(*args, **kw)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.kill()


def test_serves_prints_its_address_and_stops_on_sigterm(serve, tmp_path):
    log = tmp_path / "audit.jsonl"
    server = serve("--audit-log", str(log))
    assert server.url.startswith("http://127.0.0.1:")
    assert server.get("/healthz")["status"] == "ok"
    record = server.post("/v1/evaluate", {"answers": {**CALM, "fever": "yes"}}, "?token=s3cret")
    assert record["disposition"] == "doctor"
    line = server.wait_for('"POST /v1/evaluate" 200')
    assert "s3cret" not in line and "fever" not in line
    assert server.stop() == 143
    assert not any("s3cret" in x or "fever" in x for x in server.seen)
    assert [e.record["result"]["disposition"] for e in read_log(log)] == ["doctor"]


def test_two_workers_share_the_socket_and_the_audit_log(serve, tmp_path):
    log = tmp_path / "audit.jsonl"
    server = serve("--workers", "2", "--no-access-log", "--audit-log", str(log))
    for i in range(20):
        assert server.post("/v1/evaluate", {"id": f"c{i}", "answers": CALM})["id"] == f"c{i}"
    assert server.stop() == 143
    assert sorted(e.record["id"] for e in read_log(log)) == sorted(f"c{i}" for i in range(20))
    assert not any('"POST /v1/evaluate"' in x for x in server.seen)


def test_ctrl_c_stops_it_with_status_130(serve):
    server = serve()
    server.wait_for("Application startup complete")
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(timeout=DEADLINE) == 130
    server.wait_for("Finished server process")
    assert not any("Traceback" in x or "Aborted" in x for x in server.seen)


def run_serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "triage", "serve", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )


def test_a_broken_rule_base_or_a_port_in_use_is_one_line_and_status_2(tmp_path, serve):
    (tmp_path / "rules").mkdir()
    result = run_serve("--rules", str(tmp_path / "rules"), "--port", "0")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: {tmp_path / 'rules' / 'questions.yaml'}: missing: every rule base has this file"
    ]
    server = serve()
    port = server.url.rsplit(":", 1)[1]
    result = run_serve("--port", port)
    assert result.returncode == 2
    assert result.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{port}: ")
    assert "Traceback" not in result.stderr
    result = run_serve("--audit-log", str(tmp_path / "no" / "such" / "dir.jsonl"), "--port", "0")
    assert result.returncode == 2 and "cannot write audit log" in result.stderr


def test_other_commands_do_not_import_the_web_stack():
    code = (
        "import sys; from triage.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('starlette', 'uvicorn', 'jinja2', 'triage.web.app')"
        " if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_serve_help_names_its_options():
    result = run_serve("--help")
    for option in ("--host", "--port", "--workers", "--rules", "--region", "--audit-log"):
        assert option in result.stdout
    assert Path(ROOT / "triage" / "cli" / "serve.py").exists()
