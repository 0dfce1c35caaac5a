"""HTTP plumbing shared by every route family: JSON bodies and body limits."""

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import unquote

from fastapi import Request, Response
from fastapi.params import Form
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from attrium.core.errors import PayloadTooLarge, UnsupportedMediaType
from attrium.core.jsonio import dump, parse_json
from attrium.core.problems import problem_body

# Stands for an encoded slash while routing; refused in identifiers and names anyway.
_SLASH = "\x00"


class JsonRoute(APIRoute):
    """Parses JSON bodies with orjson and the server's depth limit before FastAPI sees them.

    A path parameter may hold `/` sent as `%2F` (`/v1/customers/a%2Fb` is customer
    `a/b`): the server decodes the path before routing, so routes match against the
    raw path's segments and the slashes come back in the parameters.
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        route_path = _segmented_path(scope)
        if route_path is None:
            return super().matches(scope)
        match, child_scope = super().matches({**scope, "path": route_path})
        if "path_params" in child_scope:
            child_scope["path_params"] = {
                name: value.replace(_SLASH, "/") if isinstance(value, str) else value
                for name, value in child_scope["path_params"].items()
            }
        return match, child_scope

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        takes_json = self.body_field is not None and not _takes_form(self)

        async def parse_then_handle(request: Request) -> Response:
            if takes_json:
                body = await request.body()
                if body:
                    if not _is_json(request):
                        raise UnsupportedMediaType(
                            "send the body as JSON, with 'Content-Type: application/json'"
                        )
                    settings = request.app.state.settings
                    request._json = parse_json(body, settings.max_json_depth)
            return await handler(request)

        return parse_then_handle


def _segmented_path(scope: Scope) -> str | None:
    """The decoded path with its encoded slashes kept apart, if it has any."""
    raw: bytes | None = scope.get("raw_path")
    if not raw or (b"%2F" not in raw and b"%2f" not in raw) or scope.get("root_path"):
        return None
    segments = [unquote(segment) for segment in raw.decode("latin-1").split("/")]
    if any(_SLASH in segment for segment in segments):
        return None
    path = "/".join(segment.replace("/", _SLASH) for segment in segments)
    # Only when this is the very path the server decoded (never a rewritten one).
    return path if path.replace(_SLASH, "/") == scope["path"] else None


def _takes_form(route: APIRoute) -> bool:
    return isinstance(getattr(route.body_field, "field_info", None), Form)


def _is_json(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type in ("", "application/json") or media_type.endswith("+json")


class BodyLimitMiddleware:
    """Refuses request bodies over `max_bytes` with 413, whether announced or streamed."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, upload_limits: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_limits = upload_limits or {}  # path -> a larger limit (streamed uploads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limits.get(scope.get("path", ""), self.max_bytes)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, send, limit)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise self.too_large(limit)
            return message

        await self.app(scope, counting_receive, send)

    def too_large(self, limit: int) -> PayloadTooLarge:
        return PayloadTooLarge(f"the request body is larger than {limit} bytes")

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        error = self.too_large(limit)
        body = dump(problem_body(error, scope.get("path", "")))
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
