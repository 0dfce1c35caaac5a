"""The JSON route class every route family uses (body limits: core/middleware.py)."""

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import unquote

from fastapi import Request, Response
from fastapi.params import Form
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

from attrium.core.errors import UnsupportedMediaType
from attrium.core.jsonio import parse_json
from attrium.core.queries import declared_query_names, query_names, refuse_unknown

# Stands for an encoded slash while routing; refused in identifiers and names anyway.
_SLASH = "\x00"


class JsonRoute(APIRoute):
    """Parses JSON bodies with orjson and the server's depth limit before FastAPI sees them.

    A path parameter may hold `/` sent as `%2F` (`/v1/customers/a%2Fb` is customer
    `a/b`): the server decodes the path before routing, so routes match against the
    raw path's segments and the slashes come back in the parameters.

    A query parameter the route does not declare is refused (core/queries.py) unless
    the class says otherwise (dialect routes).
    """

    refuses_unknown_query = True

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        route_path = segmented_path(scope)
        if route_path is None:
            return super().matches(scope)
        match, child_scope = super().matches({**scope, "path": route_path})
        if "path_params" in child_scope:
            child_scope["path_params"] = with_slashes(child_scope["path_params"])
        return match, child_scope

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        takes_json = self.body_field is not None and not _takes_form(self)
        declared_query = declared_query_names(self.dependant)
        refuses_query = self.refuses_unknown_query

        async def parse_then_handle(request: Request) -> Response:
            query_string: bytes = request.scope.get("query_string", b"")
            if refuses_query and query_string:
                refuse_unknown(query_names(query_string), declared_query)
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


def with_slashes(path_params: dict[str, Any]) -> dict[str, Any]:
    """Path parameters matched in a `segmented_path`, their encoded slashes back."""
    return {
        name: value.replace(_SLASH, "/") if isinstance(value, str) else value
        for name, value in path_params.items()
    }


def segmented_path(scope: Scope) -> str | None:
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
