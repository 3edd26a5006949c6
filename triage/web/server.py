"""Running the application under uvicorn: one process, or a supervisor and N workers.

The socket is bound here, before any worker starts, so that ``--port 0`` works (the address
printed is the one bound) and a port already in use is one clear error. uvicorn's own access
log is off: it would print each request's query string. ``triage.serve.access`` logs the
method, path and status instead.
"""

from __future__ import annotations

import os
import signal
import socket
from typing import Any

from uvicorn.supervisors import Multiprocess

from .settings import Settings
from .transport import Config, Limits, Server

BACKLOG = 2048


def log_config() -> dict[str, Any]:
    """uvicorn's logging on stderr, with the access log of ``headers.SecurityHeaders``."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "default": {
                "()": "uvicorn.logging.DefaultFormatter",
                "fmt": "%(levelprefix)s %(message)s",
            }
        },
        "handlers": {
            "default": {
                "formatter": "default",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "triage.serve.access": {"handlers": ["default"], "level": "INFO", "propagate": False},
        },
    }


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (0: any free port), inheritable by workers.

    It listens at once, so the address printed takes connections straight away.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    sock.listen(BACKLOG)  # connections wait in the queue from now on, even before the workers
    sock.set_inheritable(True)
    return sock


def address(sock: socket.socket) -> str:
    """The URL a browser opens for this socket."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class Stopped(Exception):
    """SIGINT or SIGTERM ended the server (after it finished the requests in flight)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stopped(signum: int, frame: Any) -> None:
    raise Stopped(signum)


class _Supervisor(Multiprocess):
    """uvicorn's supervisor of worker processes, remembering the signal that stopped it."""

    stopped_by: int | None = None

    def handle_int(self) -> None:
        self.stopped_by = signal.SIGINT
        super().handle_int()

    def handle_term(self) -> None:
        self.stopped_by = signal.SIGTERM
        super().handle_term()


def uvicorn_options(limits: Limits) -> dict[str, Any]:
    """uvicorn's settings for every worker (``benchmarks/bench_serve.py`` runs its minimal
    app with the same ones, so that the two are compared like for like)."""
    return {
        "log_config": log_config(),
        "access_log": False,
        "server_header": False,
        "proxy_headers": False,
        "backlog": BACKLOG,
        "timeout_keep_alive": 5,
        "timeout_graceful_shutdown": limits.shutdown_timeout,
    }


def run(
    settings: Settings,
    sock: socket.socket,
    workers: int,
    app: Any = None,
    limits: Limits | None = None,
) -> int | None:
    """Serve on ``sock`` until SIGINT or SIGTERM; the signal's number (None if none stopped it).

    One worker serves ``app`` in this process; more are started by uvicorn's supervisor, each
    building the app from the environment. Either way, the requests in flight are answered
    before the server stops (for at most ``limits.shutdown_timeout`` seconds).
    """
    limits = limits or Limits()
    common = uvicorn_options(limits)
    if workers == 1:
        config = Config(app, limits, lifespan="on", **common)
        # uvicorn shuts down gracefully on a signal, puts back the handlers it found, then
        # raises the signal again: these handlers turn it into ``Stopped``.
        signals = (signal.SIGINT, signal.SIGTERM)
        previous = {s: signal.signal(s, _stopped) for s in signals}
        try:
            Server(config).run(sockets=[sock])
        except Stopped as exc:
            return exc.signum
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
        return None
    os.environ.update(settings.to_env())
    config = Config(
        "triage.web.app:app_from_env",
        limits,
        factory=True,
        workers=workers,
        lifespan="on",
        **common,
    )
    supervisor = _Supervisor(config, sockets=[sock])
    supervisor.run()
    return supervisor.stopped_by
