"""How uvicorn serves Attrium: the options `attrium serve` and the test servers share.

uvicorn times out idle keep-alive connections and the application times out a
stalled body (core/middleware.py), but nothing limits how long a client may take to
send a request's *head*: a client trickling header bytes (slowloris) would hold its
connection forever. `HeadDeadlineProtocol` gives every request head a deadline.

It also sends each answer's head together with the first part of its body: uvicorn
writes them to the socket separately, and on a small answer each write (a system call
that also wakes the client) cost more server CPU than the rest of the HTTP layer.
"""

import asyncio
import contextlib
import functools
import logging
import socket
import sys
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.supervisors import Multiprocess

from attrium.core.deadlines import deadlines
from attrium.core.errors import RequestTimeout
from attrium.core.jsonio import dump
from attrium.core.problems import problem_body
from attrium.core.settings import Settings


class HeadDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, answering 408 to a request head that does not arrive in time.

    The deadline starts when the connection opens or a request's first byte arrives,
    and ends when its headers are complete; the body has its own deadline, and between
    requests uvicorn's keep-alive timeout applies. The loop's `Deadlines` keeps them
    (core/deadlines.py): a timer per request head cost more than parsing it.
    """

    def __init__(self, *args: Any, head_timeout_seconds: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_timeout_seconds = head_timeout_seconds

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.head_deadlines = deadlines(self.head_timeout_seconds)
        super().connection_made(transport)
        self._start_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_deadline()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_head_deadline()

    def on_headers_complete(self) -> None:
        self._cancel_head_deadline()
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and not isinstance(cycle.transport, HeadWithBody):
            cycle.transport = HeadWithBody(cycle.transport, cycle)  # type: ignore[assignment]

    def _start_head_deadline(self) -> None:
        self.head_deadlines.watch(self, self._head_too_late)

    def _cancel_head_deadline(self) -> None:
        self.head_deadlines.unwatch(self)

    def _head_too_late(self) -> None:
        if self.transport.is_closing():
            return
        error = RequestTimeout(
            f"the request headers did not arrive within {self.head_timeout_seconds:g} s"
        )
        # Only part of the request line may have come: the instance is what did.
        body = dump(problem_body(error, getattr(self, "url", b"").decode("latin-1")))
        head = (
            "HTTP/1.1 408 Request Timeout\r\n"
            "Content-Type: application/problem+json\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        self.transport.write(head.encode("latin-1") + body)
        self.transport.close()


class HeadWithBody:
    """One answer's transport: its head waits for the first part of its body, and the
    two leave in one write.

    uvicorn writes the head when the answer starts and each body part as it comes; a
    HEAD request's answer has no body part, so its head is not held. A `100 Continue`
    goes before the answer starts and is never held. Closing sends what is held.
    """

    __slots__ = ("cycle", "expect_head", "held", "transport")

    def __init__(self, transport: asyncio.Transport, cycle: RequestResponseCycle) -> None:
        self.transport = transport
        self.cycle = cycle
        self.expect_head = cycle.scope["method"] != "HEAD"
        self.held: bytes | None = None

    def write(self, data: bytes) -> None:
        held = self.held
        if held is not None:
            self.held = None
            self.transport.write(held + data)
        elif self.expect_head and self.cycle.response_started:
            self.expect_head = False
            self.held = data
        else:
            self.transport.write(data)

    def close(self) -> None:
        if self.held is not None:
            self.transport.write(self.held)
            self.held = None
        self.transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The protocol and limits every Attrium server runs with (picklable, for `--workers`)."""
    return {
        "http": functools.partial(
            HeadDeadlineProtocol, head_timeout_seconds=settings.head_timeout_seconds
        ),
        "access_log": False,
    }


_log = logging.getLogger("uvicorn.error")
STARTUP_FAILURE = 3  # uvicorn's exit status when it cannot start


def run(settings: Settings, workers: int) -> None:
    """What `uvicorn.run` does for `attrium serve`, listening on the main port and on every
    dialect port (`settings.dialect_ports`) at once.

    One server (or one per worker) takes every socket, so a dialect port shares the
    process's database, caches and rate limits; the app tells the ports apart by the
    address each connection arrived on (core/aliases.py). The app comes from its factory,
    which reads the settings from the environment, in each worker too.
    """
    config = uvicorn.Config(
        "attrium.app:create_default_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        loop="uvloop",
        log_level="info",
        **uvicorn_options(settings),
    )
    sockets = [config.bind_socket()]
    for name, port in settings.dialect_ports.items():
        sockets.append(_bind(config, name, port))
    if workers > 1:
        Multiprocess(config, sockets=sockets).run()
        return
    server = uvicorn.Server(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=sockets)
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def _bind(config: uvicorn.Config, name: str, port: int) -> socket.socket:
    """A listening socket for a dialect's port, at the main port's address."""
    family = socket.AF_INET6 if config.host and ":" in config.host else socket.AF_INET
    sock = socket.socket(family=family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((config.host, port))
    except OSError as error:
        _log.error("cannot serve the %s dialect on port %d: %s", name, port, error.strerror)
        sys.exit(STARTUP_FAILURE)
    _log.info("Serving the %s dialect on http://%s:%d", name, config.host, port)
    sock.set_inheritable(True)  # for the workers
    return sock
