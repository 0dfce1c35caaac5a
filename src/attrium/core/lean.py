"""Hot routes served without FastAPI's per-request machinery.

For each request FastAPI builds a `Request`, opens exit stacks, walks the endpoint's
dependency tree (caching, sub-dependencies, security schemes), reads and validates
the body, then calls the endpoint: several times the cost of the endpoint's own HTTP
work on a small write. A route declared with `@lean` keeps its FastAPI declaration
(the same signature, so the same OpenAPI) and the very same endpoint function, but
the route table serves it through a `LeanEndpoint` built once from that declaration:

- path parameters come from the route's match;
- the JSON body is read under the front door's limits, refused (415) unless JSON,
  parsed with the server's depth limit, and validated by the same Pydantic field
  FastAPI would use, so errors are the same;
- each dependency is supplied by the cheap provider registered for it (`provides`):
  the database, the settings, an authenticated actor (auth/api.py);
- errors are answered by the route class's `render_error` (problem+json natively;
  a dialect's route class renders its vendor's shape).

The order is FastAPI's: the body is read and parsed first, then the dependencies run
in declaration order (authentication, scope, rate limit), then validation errors of
the path, query and body are reported together (scalar query parameters are read as
FastAPI reads them; undeclared ones are refused, core/queries.py). A route whose
signature asks for something without a provider (a header, the Request itself) is
refused when the app
builds its route table, never served differently.
"""

import copy
import email.message
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from fastapi._compat import get_missing_field_error
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.params import Form
from fastapi.routing import APIRoute
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from attrium.core import problems, queries
from attrium.core.database import Database
from attrium.core.deps import get_app_settings, get_database
from attrium.core.errors import AttriumError, MalformedRequest, UnsupportedMediaType
from attrium.core.jsonio import parse_json
from attrium.core.ratelimit import RateLimiter
from attrium.core.settings import Settings

Endpoint = TypeVar("Endpoint", bound=Callable[..., Awaitable[Response]])
ErrorRenderer = Callable[[AttriumError, str], Response]

_LEAN_ENDPOINTS: set[Callable[..., Any]] = set()


def lean(endpoint: Endpoint) -> Endpoint:
    """Serve the route of `endpoint` lean (put it above the route decorator)."""
    _LEAN_ENDPOINTS.add(endpoint)
    return endpoint


def is_lean(endpoint: Callable[..., Any]) -> bool:
    return endpoint in _LEAN_ENDPOINTS


class LeanCall:
    """What a lean provider may read of the request and the application."""

    __slots__ = ("scope", "state")

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.state: dict[str, Any] = scope.setdefault("state", {})

    def header(self, name: bytes) -> str | None:
        """The first value of header `name` (lower case), as Starlette's headers give it."""
        for key, value in self.scope["headers"]:
            if key == name:
                return bytes(value).decode("latin-1")
        return None

    @property
    def db(self) -> Database:
        database: Database = self.scope["app"].state.db
        return database

    @property
    def settings(self) -> Settings:
        settings: Settings = self.scope["app"].state.settings
        return settings

    @property
    def rate_limiter(self) -> RateLimiter:
        limiter: RateLimiter = self.scope["app"].state.rate_limiter
        return limiter


Provider = Callable[[LeanCall], Awaitable[Any]]
_PROVIDERS: dict[Callable[..., Any], Provider] = {}


def provides(dependency: Callable[..., Any], provider: Provider) -> None:
    """Let lean routes get `dependency`'s value from `provider` instead of FastAPI."""
    _PROVIDERS[dependency] = provider


async def _database(call: LeanCall) -> Database:
    return call.db


async def _settings(call: LeanCall) -> Settings:
    return call.settings


provides(get_database, _database)
provides(get_app_settings, _settings)


class LeanRouteError(TypeError):
    """A route marked lean asks for something a lean endpoint cannot supply."""


class LeanEndpoint:
    """One lean route: its endpoint, what each argument comes from, how errors look."""

    def __init__(
        self,
        endpoint: Callable[..., Awaitable[Response]],
        dependencies: list[tuple[str | None, Provider]],
        path_fields: list[tuple[str, str, Any | None]],
        body_field: Any | None,
        render: ErrorRenderer,
        refuses_query: bool = False,
        query_fields: list[tuple[str, str, Any]] | None = None,
    ) -> None:
        self.refuses_query = refuses_query
        self.query_fields = query_fields or []
        self.query_names = frozenset(alias for _, alias, _ in self.query_fields)
        self.endpoint = endpoint
        self.dependencies = dependencies
        self.path_fields = path_fields
        self.body_field = body_field
        self.body_type = problems.body_type(self) if body_field is not None else None
        self.render = render

    @classmethod
    def of(cls, route: APIRoute, declared: Any) -> "LeanEndpoint":
        """Built from the route's declaration (`declared`: the route, or FastAPI's
        context of its inclusion, which holds the dependencies the inclusion adds)."""
        dependant: Dependant = declared.dependant
        _refuse_unsupported(route, declared)
        dependencies = []
        for sub in dependant.dependencies:
            provider = _PROVIDERS.get(sub.call) if sub.call is not None else None
            if provider is None:
                raise LeanRouteError(f"{route.path}: no lean provider for {sub.call!r}")
            dependencies.append((sub.name, provider))
        render = getattr(route, "render_error", None) or problems.problem_answer
        body_field = dependant.body_params[0] if dependant.body_params else None
        path_fields = [
            (field.name, field.alias, None if _takes_any_string(field) else field)
            for field in dependant.path_params
        ]
        refuses_query = bool(getattr(route, "refuses_unknown_query", False))
        query_fields = [(field.name, field.alias, field) for field in dependant.query_params]
        return cls(
            route.endpoint,
            dependencies,
            path_fields,
            body_field,
            render,
            refuses_query,
            query_fields,
        )

    async def __call__(
        self, scope: Scope, child_scope: Scope, receive: Receive, send: Send
    ) -> None:
        scope.update(child_scope)
        try:
            response = await self._respond(scope, receive)
        except AttriumError as error:
            response = self.render(error, _instance(scope))
        except RequestValidationError as error:
            problem = problems.request_validation_error(error, self.body_type)
            response = self.render(problem, _instance(scope))
        except HTTPException as error:
            response = problems.http_error_answer(error, _instance(scope))
        except (SQLAlchemyError, ConnectionError) as error:
            response = problems.database_error_answer(error, scope["method"], _instance(scope))
        except Exception:
            # As FastAPI's outermost handler does: a 500 problem, then the error goes
            # on to the server, which logs it and closes the connection.
            answer = problems.unexpected_answer(scope["method"], _instance(scope))
            await answer(scope, receive, send)
            raise
        await response(scope, receive, send)

    async def _respond(self, scope: Scope, receive: Receive) -> Response:
        query_string = scope.get("query_string")
        if self.refuses_query and query_string:
            queries.refuse_unknown(queries.query_names(query_string), self.query_names)
        body = await _json_body(scope, receive) if self.body_field is not None else _ABSENT
        call = LeanCall(scope)
        values: dict[str, Any] = {}
        for name, provider in self.dependencies:
            value = await provider(call)
            if name is not None:
                values[name] = value
        errors: list[dict[str, Any]] = []
        path_params = scope["path_params"]
        for name, alias, path_field in self.path_fields:
            if path_field is None:  # a plain str: the segment is what validation would give
                values[name] = path_params[alias]
                continue
            value, found = path_field.validate(path_params[alias], values, loc=("path", alias))
            values[name] = value
            errors.extend(found)
        if self.query_fields:
            errors.extend(self._validate_query(query_string or b"", values))
        if self.body_field is not None:
            value, found = self._validate_body(body, values)
            values[self.body_field.name] = value
            errors.extend(found)
        if errors:
            raise RequestValidationError(errors)
        return await self.endpoint(**values)

    def _validate_query(self, query_string: bytes, values: dict[str, Any]) -> list[Any]:
        """Scalar query parameters, as FastAPI reads them (the last value given wins)."""
        sent = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
        errors: list[Any] = []
        for name, alias, query_field in self.query_fields:
            if alias not in sent:
                if query_field.field_info.is_required():
                    errors.append(get_missing_field_error(loc=("query", alias)))
                values[name] = copy.deepcopy(query_field.default)
                continue
            value, found = query_field.validate(sent[alias], values, loc=("query", alias))
            values[name] = value
            errors.extend(found)
        return errors

    def _validate_body(self, body: Any, values: dict[str, Any]) -> tuple[Any, list[Any]]:
        body_field = self.body_field
        assert body_field is not None
        if body is _ABSENT:
            if body_field.field_info.is_required():
                return None, [get_missing_field_error(loc=("body",))]
            body = copy.deepcopy(body_field.default)
            if not body_field.field_info.validate_default:
                return body, []
        value, errors = body_field.validate(body, values, loc=("body",))
        return value, list(errors)


_ABSENT = object()


def _refuse_unsupported(route: APIRoute, declared: Any) -> None:
    dependant: Dependant = declared.dependant
    unsupported = [
        name
        for name, present in (
            ("list query parameters", any(_is_sequence(f) for f in dependant.query_params)),
            ("header parameters", dependant.header_params),
            ("cookie parameters", dependant.cookie_params),
            ("several or embedded body parameters", declared._embed_body_fields),
            ("a form body", route.body_field is not None and _takes_form(route)),
            ("the Request", dependant.request_param_name),
            ("the Response", dependant.response_param_name),
            ("background tasks", dependant.background_tasks_param_name),
            ("a sync endpoint", not inspect.iscoroutinefunction(route.endpoint)),
        )
        if present
    ]
    if unsupported:
        raise LeanRouteError(f"{route.path}: a lean route cannot take {', '.join(unsupported)}")


def _is_sequence(query_field: Any) -> bool:
    annotation = query_field.field_info.annotation
    return getattr(annotation, "__origin__", None) in (list, set, tuple, frozenset)


def _takes_any_string(path_field: Any) -> bool:
    """A plain `str` parameter: any path segment is valid as it is."""
    field_info = path_field.field_info
    return field_info.annotation is str and not field_info.metadata


def _takes_form(route: APIRoute) -> bool:
    return isinstance(getattr(route.body_field, "field_info", None), Form)


async def _json_body(scope: Scope, receive: Receive) -> Any:
    """The body as FastAPI and `JsonRoute` would hand it to validation: parsed JSON,
    the raw bytes when the request named no JSON content type, or absent if empty."""
    body = await _read_body(receive)
    if not body:
        return _ABSENT
    content_type = _content_type(scope)
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not (media_type in ("", "application/json") or media_type.endswith("+json")):
        raise UnsupportedMediaType("send the body as JSON, with 'Content-Type: application/json'")
    parsed = parse_json(body, scope["app"].state.settings.max_json_depth)
    # FastAPI reads JSON only under a JSON content type it recognises; otherwise it
    # validates the bytes themselves (and refuses them).
    return parsed if _fastapi_reads_json(content_type) else body


async def _read_body(receive: Receive) -> bytes:
    message: Message = await receive()
    if message["type"] == "http.request" and not message.get("more_body", False):
        return bytes(message.get("body", b""))
    chunks: list[bytes] = []
    while True:
        if message["type"] == "http.disconnect":
            # What FastAPI answers to a body it could not read.
            raise MalformedRequest("There was an error parsing the body")
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
        message = await receive()


def _content_type(scope: Scope) -> str:
    for key, value in scope["headers"]:
        if key == b"content-type":
            return bytes(value).decode("latin-1")
    return ""


def _fastapi_reads_json(content_type: str) -> bool:
    if not content_type:
        return False
    if content_type == "application/json":
        return True
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _instance(scope: Scope) -> str:
    """The path a problem names, as `request.url.path` gives it."""
    return URL(scope=scope).path
