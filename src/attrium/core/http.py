"""HTTP plumbing shared by every route family: JSON bodies and body limits."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.params import Form
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from attrium.core.errors import PayloadTooLarge, UnsupportedMediaType
from attrium.core.jsonio import dump, parse_json
from attrium.core.problems import problem_body


class JsonRoute(APIRoute):
    """Parses JSON bodies with orjson and the server's depth limit before FastAPI sees them."""

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
