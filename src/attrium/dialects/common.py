"""What every dialect shares: errors answered in the vendor's shape, and who is calling.

A dialect's router uses `dialect_route(render)` as its route class, so that every
domain error raised while serving one of its routes (authentication, validation,
the services' rules) is answered by the vendor's own mapping instead of the native
problem+json.
"""

import base64
import binascii
import copy
import dataclasses
import re
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from attrium.auth.actor import Actor
from attrium.auth.api import authenticate_request, requires
from attrium.auth.scopes import Scope
from attrium.core.deps import DatabaseDep
from attrium.core.errors import AttriumError, NotFound, Unauthenticated
from attrium.core.http import JsonRoute
from attrium.core.problems import body_type, request_validation_error
from attrium.core.ratelimit import Limit

ErrorRenderer = Callable[[AttriumError], Response]
# How a dialect names the fields of native errors: (native path pattern, vendor path
# template) pairs for `re.sub`; the first pattern that matches a path rewrites it.
FieldPaths = Sequence[tuple[re.Pattern[str], str]]


# Documented on every dialect route so that OpenAPI (and schemathesis) know them;
# each vendor's error body is described in docs/dialects.md.
VENDOR_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": "an error, in the vendor's shape"}
    for status in (400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 429, 503)
}


def dialect_route(render: ErrorRenderer, fields: FieldPaths = ()) -> type[APIRoute]:
    """A route class whose errors `render` turns into the vendor's response, their
    field paths named as the vendor names them (`fields`)."""

    class DialectRoute(JsonRoute):
        refuses_unknown_query = False  # vendors' clients send parameters of their own

        def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
            options["responses"] = {**VENDOR_ERROR_RESPONSES, **(options.get("responses") or {})}
            super().__init__(path, endpoint, **options)

        def render_error(self, error: AttriumError, instance: str) -> Response:
            """The vendor's answer to `error` (core/lean.py answers a lean route's with it)."""
            return render(vendor_fields(error, fields))

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def handle_in_vendor_shape(request: Request) -> Response:
                try:
                    return await handler(request)
                except AttriumError as error:
                    return self.render_error(error, request.url.path)
                except RequestValidationError as error:
                    problem = request_validation_error(error, body_type(self))
                    return self.render_error(problem, request.url.path)

            return handle_in_vendor_shape

    return DialectRoute


def vendor_fields(error: AttriumError, fields: FieldPaths) -> AttriumError:
    """`error` with its field paths as the vendor names them.

    The services name native fields (`subscriptions.0.signup_source_id`, `topics.topic_1`);
    the rules map each path onto where the vendor's request held it. A one-field detail
    of the form `<field>: <message>` follows its field.
    """
    if not error.errors or not fields:
        return error
    renamed = copy.copy(error)
    renamed.errors = tuple(
        dataclasses.replace(item, field=vendor_path(item.field, fields)) for item in error.errors
    )
    if len(error.errors) == 1 and error.detail.startswith(f"{error.errors[0].field}: "):
        renamed.detail = renamed.errors[0].field + error.detail[len(error.errors[0].field) :]
    return renamed


def vendor_path(field: str, fields: FieldPaths) -> str:
    for pattern, template in fields:
        if pattern.match(field):
            return pattern.sub(template, field, count=1)
    return field


# RFC 9110's methods and PATCH: whatever a client sends under a dialect's prefix.
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]


class UnknownRoute(NotFound):
    """No route of the dialect has this path, or takes this method there."""


def answer_unknown_routes(router: APIRouter) -> None:
    """Answer unknown paths under the dialect's prefix with 404 in the vendor's shape.

    A known path called with another method gets the same 404: no vendor documents a
    405. Register it after every real route: it matches whatever they do not.
    """

    @router.api_route("/{path:path}", methods=ALL_METHODS, include_in_schema=False)
    async def unknown_route(path: str, request: Request) -> Response:
        raise UnknownRoute(f"no route {request.method} /{path} in this API")


def bearer_actor(
    source: str, scope: Scope, limit: Limit = Limit.NATIVE
) -> Callable[..., Awaitable[Actor]]:
    """A dependency: the bearer key's actor, holding `scope`, acting as `source`,
    charged to `limit`."""
    authenticated = requires(scope, limit)

    async def dialect_actor(actor: Annotated[Actor, Depends(authenticated)]) -> Actor:
        return actor.with_source(source)

    return dialect_actor


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """The user and password of an `Authorization: Basic` header, or None."""
    return basic_credentials_of(request.headers.get("authorization"))


def basic_credentials_of(authorization: str | None) -> tuple[str, str] | None:
    """The user and password of an `Authorization` header's value if it is Basic, or None."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, separator, password = decoded.partition(":")
    return (user, password) if separator else None


def vendor_setting(actor: Actor, name: str, vendor_default: int | None) -> int | None:
    """A per-workspace setting as a dialect sees it: the workspace's own value, else
    the vendor's documented default (None: the vendor documents no limit)."""
    value = actor.workspace.overrides.get(name, vendor_default)
    return None if value is None else int(value)


def first_message(error: AttriumError) -> str:
    """The sentence a vendor's one-message error body carries."""
    if len(error.errors) == 1 and not error.detail.startswith(error.errors[0].field):
        return f"{error.errors[0].field}: {error.detail}"
    return error.detail


def header_key_actor(
    header: str, source: str, scope: Scope, limit: Limit = Limit.NATIVE
) -> Callable[..., Awaitable[Actor]]:
    """A dependency: the actor of a key sent in a header of its own (`X-API-KEY`),
    charged to `limit`."""

    async def dialect_actor(request: Request, db: DatabaseDep) -> Actor:
        token = request.headers.get(header, "").strip()
        if not token:
            raise Unauthenticated(f"send an API key in the {header} header")
        actor = (await authenticate_request(request, db, token, limit)).with_source(source)
        actor.require(scope)
        return actor

    return dialect_actor


def vendor_status(error: AttriumError, statuses: Sequence[tuple[type[AttriumError], int]]) -> int:
    """The status a vendor documents for `error`: the first matching kind in `statuses`."""
    fallback = 400 if error.status < 500 else 500  # no bad input is ever a 500
    return next((status for kind, status in statuses if isinstance(error, kind)), fallback)
