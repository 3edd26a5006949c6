"""HTTP/1.1 connections as a hostile or unlucky client uses them: slow, stuck, many, malformed.

uvicorn's httptools protocol, with what it lacks for a server facing any client:

- a deadline for each request's line and headers (from the connection, or from the previous
  response), and a cap on their size: a client sending a byte every ten seconds is dropped;
- a minimum pace for a request's body: too little in a window is a 408, and the connection
  is closed;
- at most ``max_connections`` open connections (by default, what the descriptor limit
  allows, with some to spare): the next one closes the connection that has waited longest
  without sending a whole request, so that slow clients cannot starve the others;
- its own replies (400 for a malformed request, 408, 431, 503) carry the security headers
  of every other response;
- on shutdown, a connection whose next request is already arriving is answered before it is
  closed, rather than reset.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import resource
import select
import socket
import struct
import termios
import time
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .headers import NO_STORE, SECURITY

log = logging.getLogger("uvicorn.error")

SPARE_DESCRIPTORS = 32  # for the listening socket, the audit log, imports, the event loop


@dataclass(frozen=True)
class Limits:
    """The server's limits on each connection; the CLI's ``serve`` options set them."""

    header_timeout: float = 10.0  # seconds for a request's line and headers to arrive
    body_timeout: float = 10.0  # seconds of a window in which min_body_bytes must arrive
    min_body_bytes: int = 1024  # or the rest of the body, whichever comes first
    max_head_bytes: int = 64 * 1024  # a request line and headers longer: 431
    max_connections: int | None = None  # None: from the descriptor limit
    shutdown_timeout: float = 20.0  # seconds to finish the requests in flight on SIGTERM

    def connections(self) -> int:
        """The connection cap: as set, or what the soft descriptor limit leaves spare."""
        if self.max_connections is not None:
            return self.max_connections
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return 4096
        return max(1, min(4096, soft - SPARE_DESCRIPTORS))


def reply(status: int, reason: str, text: str) -> bytes:
    """A whole HTTP response the protocol writes itself, then closes the connection."""
    body = text.encode("ascii") + b"\n"
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode("ascii")),
        (b"connection", b"close"),
        *SECURITY,
        NO_STORE,
    ]
    lines = [f"HTTP/1.1 {status} {reason}".encode("ascii")]
    lines += [name + b": " + value for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def unread_bytes(transport: asyncio.BaseTransport) -> int:
    """How many bytes the client has sent that the server has not read yet (0 if unknown)."""
    sock = transport.get_extra_info("socket")
    try:
        raw = fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0")
    except (OSError, AttributeError, ValueError):
        return 0
    return struct.unpack("i", raw)[0]


class Protocol(HttpToolsProtocol):
    """One client connection (see the module's docstring)."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any):
        super().__init__(config, *args, **kwargs)
        self.limits: Limits = getattr(config, "limits", None) or Limits()
        self.max_connections = self.limits.connections()
        self.max_head_bytes = self.limits.max_head_bytes
        self.head_since: float | None = None  # waiting for a request's head since then
        self.head_bytes = 0  # bytes received since then
        self.body_bytes = 0  # body bytes received in the current window
        self.head_timer: asyncio.TimerHandle | None = None
        self.body_timer: asyncio.TimerHandle | None = None
        self.draining = False
        self.head_size = 0  # bytes of the current request's line and headers
        self.head_too_large = False
        self.reading_body = False  # between a request's head and the end of its body

    # The wait for a request's head

    def wait_for_head(self) -> None:
        self.head_since, self.head_bytes = time.monotonic(), 0
        # One timer per connection, not one per request: a timer set for an earlier wait
        # finds this one's deadline when it fires, and waits on (``head_too_slow``).
        if self.head_timer is None:
            self.head_timer = self.loop.call_later(self.limits.header_timeout, self.head_too_slow)

    def head_too_slow(self) -> None:
        self.head_timer = None
        if self.head_since is None or self.transport.is_closing():
            return  # not waiting for a head now: the next wait sets a timer again
        left = self.head_since + self.limits.header_timeout - time.monotonic()
        if left > 0:  # set for an earlier wait: this one has time left
            self.head_timer = self.loop.call_later(left, self.head_too_slow)
            return
        if self.reading_body:  # the rest of a body the server answered without reading
            self.transport.close()
        elif self.head_bytes or unread_bytes(self.transport):
            self.refuse(408, "Request Timeout", "request headers too slow")
        else:
            self.transport.close()  # idle: nothing to answer

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.wait_for_head()
        if len(self.connections) > self.max_connections:
            self.make_room()

    def make_room(self) -> None:
        """Close the connection that has waited longest for a request, or refuse this one."""
        waiting = [
            c
            for c in self.connections
            if c is not self and isinstance(c, Protocol) and c.head_since is not None
        ]
        if not waiting:
            log.warning("Too many connections (%d): refused one", len(self.connections))
            self.refuse(503, "Service Unavailable", "too many connections")
            return
        oldest = min(waiting, key=lambda c: c.head_since or 0.0)
        if not oldest.reading_body and (oldest.head_bytes or unread_bytes(oldest.transport)):
            oldest.refuse(408, "Request Timeout", "request too slow, others waiting")
        else:
            oldest.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.head_since is not None and not self.reading_body:
            self.head_bytes += len(data)
        super().data_received(data)
        if self.reading_body and self.body_timer is None:
            # A body still arriving: its pace is watched from now. (Not from the end of the
            # head: most requests arrive whole, in one piece, and need no timer at all.)
            cycle = self.cycle
            if cycle is not None and not cycle.response_complete:
                self.body_timer = self.loop.call_later(self.limits.body_timeout, self.body_too_slow)
        # A head still incomplete after this many bytes (one endless header line, say).
        endless = self.head_since is not None and self.head_bytes > self.limits.max_head_bytes
        if endless and not self.transport.is_closing():
            self.refuse(431, "Request Header Fields Too Large", "request headers too large")

    def on_message_begin(self) -> None:
        self.head_size = 0
        super().on_message_begin()

    # Each part of a head is counted as it is parsed: the parser is stopped (its error
    # becomes a 431) once the head passes the limit.

    def on_url(self, url: bytes) -> None:
        self.head_size += len(url)
        if self.head_size > self.max_head_bytes:
            self._head_too_large()
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.head_size += len(name) + len(value) + 4
        if self.head_size > self.max_head_bytes:
            self._head_too_large()
        super().on_header(name, value)

    def _head_too_large(self) -> None:
        self.head_too_large = True
        raise ValueError("request head too large")

    def on_headers_complete(self) -> None:
        self.head_since = None  # the head timer, when it fires, finds nothing to do
        self.reading_body = True
        super().on_headers_complete()
        if self.draining and self.cycle is not None:
            self.cycle.keep_alive = False
        self.body_bytes = 0
        if self.body_timer is not None:  # set for an earlier body
            self.body_timer.cancel()
            self.body_timer = None

    # The body's pace

    def on_body(self, body: bytes) -> None:
        self.body_bytes += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        if self.body_timer is not None:
            self.body_timer.cancel()
            self.body_timer = None
        self.reading_body = False
        super().on_message_complete()

    def body_too_slow(self) -> None:
        self.body_timer = None
        cycle = self.cycle
        if cycle is None or cycle.response_complete or not cycle.more_body:
            return
        if self.transport.is_closing():
            return
        # Not the client's fault when the server is not reading (yet).
        waiting = self.flow.read_paused or cycle.waiting_for_100_continue
        if waiting or self.body_bytes >= self.limits.min_body_bytes:
            self.body_bytes = 0
            self.body_timer = self.loop.call_later(self.limits.body_timeout, self.body_too_slow)
            return
        if cycle.response_started:
            self.transport.close()
        else:
            self.refuse(408, "Request Timeout", "request body too slow")

    # Replies of the protocol's own

    def refuse(self, status: int, reason: str, text: str) -> None:
        """Answer ``status`` with the security headers, and close the connection."""
        self.transport.write(reply(status, reason, text))
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        if self.head_too_large:
            self.refuse(431, "Request Header Fields Too Large", "request headers too large")
        else:
            self.refuse(400, "Bad Request", msg)

    # Between requests, and at the end

    def on_response_complete(self) -> None:
        self._cancel("body_timer")
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:  # no request already arriving
            self.wait_for_head()

    def shutdown(self) -> None:
        """Close an idle connection; answer a request in flight or arriving, then close."""
        self.draining = True
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False
        elif not self.reading_body and (self.head_bytes or unread_bytes(self.transport)):
            pass  # its request is arriving: on_headers_complete ends keep-alive
        else:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel("head_timer")
        self._cancel("body_timer")
        super().connection_lost(exc)

    def _cancel(self, name: str) -> None:
        timer = getattr(self, name)
        if timer is not None:
            timer.cancel()
            setattr(self, name, None)


class Config(uvicorn.Config):
    """uvicorn's configuration, carrying the ``Limits`` to each worker process."""

    def __init__(self, app: Any, limits: Limits, **kwargs: Any):
        super().__init__(app, http=Protocol, **kwargs)
        self.limits = limits


class Server(uvicorn.Server):
    """uvicorn's server, which first takes the connections already waiting to be accepted
    when it is asked to stop (closing the listening socket would reset them)."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        listeners = list(sockets or [])
        deadline = time.monotonic() + 2.0  # bounded, even under a flood of new connections
        while listeners and time.monotonic() < deadline:
            ready, _, _ = select.select(listeners, [], [], 0)
            if not ready:
                break
            await asyncio.sleep(0.01)  # the event loop accepts them meanwhile
        await super().shutdown(sockets)
