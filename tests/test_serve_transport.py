"""`triage serve`'s connections under a hostile or unlucky client, over raw sockets.

Malformed requests, slow and stuck clients, many of them at once, clients that leave
mid-body, and SIGTERM with requests in flight. Every wait is for a state (a reply, a closed
connection, a log line, a process state), bounded by ``DEADLINE``.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import time
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from conftest import CALM
from web_support import DEADLINE, Server

SECURITY = ("content-security-policy", "x-content-type-options", "referrer-policy")
CASE = json.dumps({"answers": CALM}).encode()


@pytest.fixture()
def serve() -> Iterator:
    servers: list[Server] = []

    def start(*args: str) -> Server:
        server = Server(*args)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.kill()


def address(server: Server) -> tuple[str, int]:
    parts = urlsplit(server.url)
    return parts.hostname or "", parts.port or 0


def connect(server: Server) -> socket.socket:
    sock = socket.create_connection(address(server), timeout=DEADLINE)
    return sock


def read_reply(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or its reply is whole)."""
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            length = [
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ]
            if length and len(body) >= length[0]:
                break
    return data


def status_and_headers(reply: bytes) -> tuple[int, dict[str, str]]:
    head = reply.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    assert head[0].startswith("HTTP/1.1 "), reply[:200]
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(head[0].split()[1]), headers


def post_head(path: str, length: int, extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n{extra}\r\n"
    ).encode()


MALFORMED = {
    "content-length and chunked": post_head("/v1/evaluate", 5, "Transfer-Encoding: chunked\r\n")
    + b"0\r\n\r\n",
    "a bad chunk": b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"zz\r\nhello\r\n0\r\n\r\n",
    "a 100 KB URL": b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "a NUL in Host": b"GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n",
    "80 KB of headers": b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
    + b"".join(b"X-%d: %s\r\n" % (i, b"c" * 1000) for i in range(80))
    + b"\r\n",
    "no HTTP at all": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
}


def test_the_servers_own_error_replies_carry_the_security_headers(serve):
    server = serve("--no-access-log")
    for name, request in MALFORMED.items():
        with connect(server) as sock:
            sock.sendall(request)
            reply = read_reply(sock)
        status, headers = status_and_headers(reply)
        assert 400 <= status < 500, (name, reply[:300])
        for header in SECURITY:
            assert header in headers, (name, reply[:300])
        assert headers["x-content-type-options"] == "nosniff"


def test_idle_slow_and_stuck_clients_are_timed_out(serve):
    server = serve("--header-timeout", "1", "--body-timeout", "1", "--no-access-log")
    idle = connect(server)
    slow_head = connect(server)
    slow_head.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # the blank line never comes
    slow_body = connect(server)
    slow_body.sendall(post_head("/v1/evaluate", len(CASE)) + CASE[:10])
    assert read_reply(idle) == b""  # closed, nothing to answer
    for sock in (slow_head, slow_body):
        status, headers = status_and_headers(read_reply(sock))
        assert status == 408 and all(h in headers for h in SECURITY)
    for sock in (idle, slow_head, slow_body):
        sock.close()
    # A body that keeps coming, though in pieces, is read to the end.
    with connect(server) as sock:
        sock.sendall(post_head("/v1/evaluate", len(CASE)) + CASE[:10])
        sock.sendall(CASE[10:])
        assert status_and_headers(read_reply(sock))[0] == 200


def test_every_request_of_a_kept_alive_connection_is_timed_as_the_first(serve):
    """The timers outlive a request (one per connection, not one per request): after a
    served request, a stalled head is still a 408, and so is a stalled body."""
    server = serve("--header-timeout", "1", "--body-timeout", "1", "--no-access-log")
    for stall in (b"GET /healthz HTTP/1.1\r\nHost: x\r\n", post_head("/v1/evaluate", 99) + b"{"):
        with connect(server) as sock:
            sock.sendall(post_head("/v1/evaluate", len(CASE)) + CASE)
            assert status_and_headers(read_reply(sock))[0] == 200
            sock.sendall(stall)
            status, headers = status_and_headers(read_reply(sock))
            assert status == 408 and all(h in headers for h in SECURITY), stall


def test_a_body_answered_before_it_was_read_is_not_taken_for_headers(serve):
    """A 415 comes before the body is read; the 100 KB that follow are that body's, not a
    head over the limit, and the connection serves the next request."""
    server = serve("--no-access-log")
    body = b"x" * 100_000
    with connect(server) as sock:
        head = post_head("/v1/evaluate", len(body)).replace(b"application/json", b"text/plain")
        sock.sendall(head + body[:10])
        first = read_reply(sock)
        assert status_and_headers(first)[0] == 415, first[:200]
        sock.sendall(body[10:])
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        second = read_reply(sock)
        assert status_and_headers(second)[0] == 200, second[:200]


def raise_own_descriptor_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            pytest.skip(f"this test needs {need} descriptors; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def open_descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_a_normal_client_is_served_while_500_slow_ones_wait(serve):
    """As the campaign found it: the server at ulimit -n 128, and 500 slow clients."""
    raise_own_descriptor_limit(1200)
    server = serve("--no-access-log")
    pid = server.proc.pid
    _, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (128, hard))
    slow: list[socket.socket] = []
    try:
        for i in range(500):
            sock = connect(server)
            if i % 2:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHo")  # headers a byte at a time
            slow.append(sock)
        # The server has taken as many as it may (its descriptors nearly all in use).
        end = time.monotonic() + DEADLINE
        while open_descriptors(pid) < 96 and time.monotonic() < end:
            time.sleep(0.05)
        assert open_descriptors(pid) >= 96
        for _ in range(3):
            assert server.get("/healthz")["status"] == "ok"
            assert server.post("/v1/evaluate", {"answers": CALM})["disposition"]
        assert open_descriptors(pid) < 128
    finally:
        for sock in slow:
            sock.close()


POST_ROUTES = [
    ("/v1/evaluate", "application/json"),
    ("/v1/interview", "application/json"),
    ("/interview", "application/x-www-form-urlencoded"),
    ("/result", "application/x-www-form-urlencoded"),
    ("/answers", "application/x-www-form-urlencoded"),
    ("/fhir/Questionnaire/$next-question", "application/fhir+json"),
    ("/cds-services/back-neck-triage", "application/json"),
]


def test_a_client_that_leaves_mid_body_is_one_log_line_and_no_500(serve):
    server = serve()
    for path, kind in POST_ROUTES:
        with connect(server) as sock:
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {kind}\r\n"
                f'Content-Length: 1000\r\n\r\n{{"answers"'.encode()
            )
        line = server.wait_for(f'"POST {path}" client disconnected')
        assert " 500 " not in line
    assert server.get("/healthz")["status"] == "ok"
    server.wait_for('"GET /healthz" 200')
    assert not [x for x in server.seen if "Traceback" in x or "Exception" in x or " 500 " in x]


def wait_until_stopped(pid: int) -> None:
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "T":
                return
    raise AssertionError("the server never stopped")


def test_sigterm_answers_every_request_in_flight_then_exits(serve):
    """Requests whose body is still coming, and requests sent while the server could not
    take them (stopped with SIGSTOP: they wait, accepted or not), all get their 200."""
    server = serve("--no-access-log")
    pid = server.proc.pid
    sending: list[socket.socket] = []
    for _ in range(8):
        sock = connect(server)
        sock.sendall(post_head("/v1/evaluate", len(CASE), "Expect: 100-continue\r\n"))
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")  # the server reads it
        sock.sendall(CASE[:10])
        sending.append(sock)
    os.kill(pid, signal.SIGSTOP)
    wait_until_stopped(pid)
    waiting: list[socket.socket] = []
    for i in range(16):
        sock = connect(server)
        path = "/healthz" if i % 2 else "/v1/evaluate"
        request = (
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
            if path == "/healthz"
            else post_head(path, len(CASE)) + CASE
        )
        sock.sendall(request)
        waiting.append(sock)
    os.kill(pid, signal.SIGTERM)
    os.kill(pid, signal.SIGCONT)
    server.wait_for("Shutting down")
    for sock in sending:
        sock.sendall(CASE[10:])
    statuses = [status_and_headers(read_reply(sock))[0] for sock in sending + waiting]
    assert statuses == [200] * len(statuses)
    assert server.proc.wait(timeout=DEADLINE) == 143
    for sock in sending + waiting:
        sock.close()
    with pytest.raises(OSError):
        urllib.request.urlopen(server.url + "/healthz", timeout=DEADLINE)
