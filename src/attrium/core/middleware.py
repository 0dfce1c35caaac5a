"""The outermost HTTP layer, in one pass: request id, body limits, headers, metrics, log.

One layer rather than a stack of them, because each ASGI layer wraps `send` and
`receive` again for every request. The front door:

- takes the client's `X-Request-ID` if it is safe, else makes one, and binds it to
  every log line of the request;
- moves a request to an alias (core/aliases.py) to where its route is mounted;
- refuses a body announced larger than the limit (413, before routing), and gives
  `receive` both limits: the body size, and the deadline for each part of the body
  (a client that stalls gets 408);
- finds the route (core/routing.py): a lean route (core/lean.py) is served right
  here, any other goes through FastAPI's stack, which no longer searches for it;
- adds to every answer the request id, the security headers (the UI's own under
  its prefix), `Cache-Control: no-store` to anything but a page, and the key's
  rate-limit headers;
- counts the answer in the Prometheus metrics and writes the access log line.
"""

import asyncio
import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.contextvars import bind_contextvars, reset_contextvars

from attrium.core import logs, metrics
from attrium.core.aliases import PathAliases
from attrium.core.deadlines import deadlines
from attrium.core.errors import (
    AttriumError,
    FieldError,
    MalformedRequest,
    PayloadTooLarge,
    RequestTimeout,
)
from attrium.core.jsonio import dump
from attrium.core.problems import problem_body
from attrium.core.routing import RESOLVED_ROUTE, RouteTable
from attrium.core.schemas import NUL

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# JSON and text answers load nothing; HTML pages (the API docs, a UI) set their own
# policy or get only the framing rule.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
PAGE_CSP = "frame-ancestors 'none'"

Headers = list[tuple[bytes, bytes]]
# The headers an answer gets unless it set them, and their names: for JSON, for pages.
Defaults = tuple[tuple[Headers, frozenset[bytes]], tuple[Headers, frozenset[bytes]]]


@dataclass(frozen=True)
class FrontDoorSettings:
    """The front door's limits and headers, from the server's settings (app.py)."""

    body_timeout_seconds: float
    max_body_bytes: int
    # (method, path) -> a larger limit: a PUT to /v1/customers/batch is one customer's
    upload_limits: Mapping[tuple[str, str], int] = field(default_factory=dict)
    # path prefix -> security headers of the pages under it (instead of the API's)
    prefix_headers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # paths served by routes mounted elsewhere: vendor paths, dialect ports
    aliases: PathAliases = field(default_factory=PathAliases)


class FrontDoor:
    """The outermost ASGI layer; `app` is FastAPI's stack, for the routes not served lean."""

    def __init__(self, app: ASGIApp, table: RouteTable, settings: FrontDoorSettings) -> None:
        self.app = app
        self.table = table
        self.settings = settings
        self.aliases = settings.aliases if settings.aliases else None
        self.api_defaults = _defaults({})
        self.prefix_defaults = [
            (prefix.rstrip("/"), _defaults(own)) for prefix, own in settings.prefix_headers.items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        sent_path: str = scope["path"]
        if self.aliases is not None:
            self.aliases.apply(scope)
        request_id = _request_id(scope)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        answer = _Answer(send, request_id.encode(), state, self._defaults_for(scope["path"]))
        bound = bind_contextvars(request_id=request_id)
        try:
            await self._serve(scope, receive, answer.send)
        finally:
            seconds = time.perf_counter() - started
            self._record(scope, sent_path, answer.status, seconds, state.get("key_id"), request_id)
            reset_contextvars(**bound)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.settings.upload_limits.get(
            (scope["method"], scope["path"]), self.settings.max_body_bytes
        )
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, send, _too_large(limit), close=True)
            return
        holding_nul = _nul_in_address(scope)
        if holding_nul is not None:
            await _refuse(scope, send, holding_nul)
            return
        receive = _LimitedBody(receive, limit, self.settings.body_timeout_seconds).receive
        resolved = self.table.resolve(scope)
        if resolved is not None and resolved.leaf.lean is not None and resolved.match is Match.FULL:
            await resolved.leaf.lean(scope, resolved.child_scope, receive, send)
            return
        if resolved is not None:
            scope[RESOLVED_ROUTE] = resolved
        await self.app(scope, receive, send)

    def _defaults_for(self, path: str) -> Defaults:
        for prefix, defaults in self.prefix_defaults:
            if path == prefix or path.startswith(prefix + "/"):
                return defaults
        return self.api_defaults

    def _record(
        self,
        scope: Scope,
        path: str,
        status: int,
        seconds: float,
        key_id: str | None,
        request_id: str,
    ) -> None:
        route = _route_template(scope)
        method = scope["method"]
        metrics.observe(method, route, status, seconds)
        logs.access(method, path, route, status, seconds, key_id, request_id)


class _Answer:
    """The client's `send`, adding the front door's headers to the answer's head."""

    __slots__ = ("defaults", "downstream", "request_id", "state", "status")

    def __init__(
        self,
        send: Send,
        request_id: bytes,
        state: dict[str, Any],
        defaults: Defaults,
    ) -> None:
        self.downstream = send
        self.request_id = request_id
        self.state = state
        self.defaults = defaults
        self.status = 500  # what the log says if no answer starts

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            message["headers"] = self._headers(message.get("headers", ()))
        await self.downstream(message)

    def _headers(self, given: Any) -> Headers:
        headers: Headers = list(given)
        names = dict(headers)
        if b"x-request-id" in names:
            headers = [header for header in headers if header[0] != b"x-request-id"]
        headers.append((b"x-request-id", self.request_id))
        is_page = names.get(b"content-type", b"").startswith(b"text/html")
        defaults, default_names = self.defaults[1] if is_page else self.defaults[0]
        if names.keys().isdisjoint(default_names):
            headers.extend(defaults)
        else:
            headers.extend(header for header in defaults if header[0] not in names)
        rate_limit: Mapping[str, str] | None = self.state.get("rate_limit_headers")
        if rate_limit:
            replaced = {name.lower().encode("latin-1") for name in rate_limit}
            headers = [header for header in headers if header[0] not in replaced]
            headers.extend(
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in rate_limit.items()
            )
        return headers


def _defaults(own: Mapping[str, str]) -> Defaults:
    """The headers an answer gets unless it set them: a prefix's own, then the API's."""
    json, page = _default_headers(own, page=False), _default_headers(own, page=True)
    return (json, frozenset(name for name, _ in json)), (page, frozenset(name for name, _ in page))


def _default_headers(own: Mapping[str, str], page: bool) -> Headers:
    chosen: dict[str, str] = {name.lower(): value for name, value in own.items()}
    for name, value in SECURITY_HEADERS.items():
        chosen.setdefault(name.lower(), value)
    chosen.setdefault("content-security-policy", PAGE_CSP if page else API_CSP)
    if not page:
        chosen.setdefault("cache-control", "no-store")
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in chosen.items()]


class _LimitedBody:
    """A `receive` that refuses a body over `limit` bytes, and gives up when the
    client sends no part of the body for `timeout` seconds."""

    __slots__ = ("complete", "expired", "limit", "received", "task", "timeout", "upstream")

    def __init__(self, receive: Receive, limit: int, timeout: float) -> None:
        self.upstream = receive
        self.limit = limit
        self.timeout = timeout
        self.received = 0
        self.complete = False
        self.expired = False
        self.task: asyncio.Task[Any] | None = None

    async def receive(self) -> Message:
        if self.complete:
            return await self.upstream()
        watching = deadlines(self.timeout)
        self.task = asyncio.current_task()
        watching.watch(self, self._expire)
        try:
            message = await self.upstream()
        except asyncio.CancelledError:
            if not self.expired or self.task is None:
                raise
            self.task.uncancel()
            raise RequestTimeout(
                f"the request body did not arrive within {self.timeout:g} s"
            ) from None
        finally:
            watching.unwatch(self)
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise _too_large(self.limit)
            self.complete = not message.get("more_body", False)
        else:
            self.complete = True
        return message

    def _expire(self) -> None:
        if self.task is not None:
            self.expired = True
            self.task.cancel()


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is larger than {limit} bytes")


async def _refuse(scope: Scope, send: Send, error: AttriumError, close: bool = False) -> None:
    """Answer `error` before routing (a 413 also closes: the body is left unread)."""
    body = dump(problem_body(error, scope.get("path", "")))
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _nul_in_address(scope: Scope) -> MalformedRequest | None:
    """A NUL (U+0000) in the path or a query parameter: no name, key or reference holds one
    (PostgreSQL stores none), so the request is refused before any route sees it."""
    if NUL in scope["path"]:
        return _holds_nul("path")
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if NUL in name or NUL in value:
                return _holds_nul(f"query.{name.replace(NUL, '')}")
    return None


def _holds_nul(field: str) -> MalformedRequest:
    message = "text cannot hold the NUL character (U+0000)"
    return MalformedRequest(f"{field}: {message}", [FieldError(field, "string.nul", message)])


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            offered = bytes(value).decode("latin-1")
            if _ACCEPTABLE_REQUEST_ID.match(offered):
                return offered
    # 128 random bits like a uuid4's hex, without a system call: a request id only has
    # to be unique (a client may choose its own), not unguessable.
    return f"{random.getrandbits(128):032x}"


def _route_template(scope: Scope) -> str:
    """The matched route's template (bounded label values), or `unmatched`."""
    path: object = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else "unmatched"
