"""The outermost HTTP layer: request id, security headers, slow-client deadline, metrics, logs."""

import asyncio
import re
import time
import uuid
from typing import Any

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from attrium.core import metrics
from attrium.core.errors import RequestTimeout
from attrium.core.logs import get_logger

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

logger = get_logger("attrium.http")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, body_timeout_seconds: float) -> None:
        self.app = app
        self.body_timeout_seconds = body_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                _decorate(MutableHeaders(scope=message), request_id, state)
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, self._deadline(receive), send_with_headers)
            finally:
                self._record(scope, status, time.perf_counter() - started, state)

    def _deadline(self, receive: Receive) -> Receive:
        """A `receive` that gives up when the client sends no body part for a while."""
        body_complete = False

        async def receive_in_time() -> Message:
            nonlocal body_complete
            if body_complete:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout_seconds)
            except TimeoutError:
                raise RequestTimeout(
                    f"the request body did not arrive within {self.body_timeout_seconds:g} s"
                ) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_complete = True
            return message

        return receive_in_time

    def _record(self, scope: Scope, status: int, seconds: float, state: dict[str, Any]) -> None:
        route = _route_template(scope)
        metrics.observe(scope["method"], route, status, seconds)
        logger.info(
            "request",
            method=scope["method"],
            path=scope["path"],
            route=route,
            status=status,
            duration_ms=round(seconds * 1000, 2),
            key_id=state.get("key_id"),
        )


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            offered = bytes(value).decode("latin-1")
            if _ACCEPTABLE_REQUEST_ID.match(offered):
                return offered
    return uuid.uuid4().hex


def _decorate(headers: MutableHeaders, request_id: str, state: dict[str, Any]) -> None:
    headers[REQUEST_ID_HEADER] = request_id
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    is_page = headers.get("content-type", "").startswith("text/html")
    headers.setdefault("Content-Security-Policy", PAGE_CSP if is_page else API_CSP)
    if not is_page:
        headers.setdefault("Cache-Control", "no-store")
    for name, value in state.get("rate_limit_headers", {}).items():
        headers[name] = value


def _route_template(scope: Scope) -> str:
    """The matched route's template (bounded label values), or `unmatched`."""
    path: object = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else "unmatched"
