"""How uvicorn serves Attrium: the options `attrium serve` and the test servers share.

uvicorn times out idle keep-alive connections and the application times out a
stalled body (core/middleware.py), but nothing limits how long a client may take to
send a request's *head*: a client trickling header bytes (slowloris) would hold its
connection forever. `HeadDeadlineProtocol` gives every request head a deadline.
"""

import asyncio
import functools
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from attrium.core.errors import RequestTimeout
from attrium.core.jsonio import dump
from attrium.core.problems import problem_body
from attrium.core.settings import Settings


class HeadDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, answering 408 to a request head that does not arrive in time.

    The deadline starts when the connection opens or a request's first byte arrives,
    and ends when its headers are complete; the body has its own deadline, and between
    requests uvicorn's keep-alive timeout applies.
    """

    def __init__(self, *args: Any, head_timeout_seconds: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_timeout_seconds = head_timeout_seconds
        self.head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
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

    def _start_head_deadline(self) -> None:
        self._cancel_head_deadline()
        self.head_deadline = self.loop.call_later(self.head_timeout_seconds, self._head_too_late)

    def _cancel_head_deadline(self) -> None:
        if self.head_deadline is not None:
            self.head_deadline.cancel()
            self.head_deadline = None

    def _head_too_late(self) -> None:
        self.head_deadline = None
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


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The protocol and limits every Attrium server runs with (picklable, for `--workers`)."""
    return {
        "http": functools.partial(
            HeadDeadlineProtocol, head_timeout_seconds=settings.head_timeout_seconds
        ),
        "access_log": False,
    }
