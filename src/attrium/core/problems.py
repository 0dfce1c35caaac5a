"""The native mapping of errors to RFC 9457 `application/problem+json` responses."""

import logging
import math
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from attrium.core import logs, suggest
from attrium.core.errors import (
    AttriumError,
    FieldError,
    MalformedRequest,
    MethodNotAllowed,
    NotFound,
    RateLimited,
    RequestTimeout,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)
from attrium.core.jsonio import JsonResponse

logger = logging.getLogger("attrium")

_LOCATIONS = ("body", "query", "path", "header", "cookie")

# SQLSTATE classes of a database that is down, full or shedding load, and of
# transactions it aborted (deadlock, serialization): the client may retry.
_TRANSIENT_SQLSTATES = ("08", "53", "57P", "40")
RETRY_AFTER_UNAVAILABLE_SECONDS = 1


class ProblemResponse(JsonResponse):
    media_type = "application/problem+json"


def problem_body(error: AttriumError, instance: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"/problems/{error.slug}",
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "instance": instance,
    }
    if error.errors:
        body["errors"] = [field_error.as_dict() for field_error in error.errors]
    body.update(error.extra)
    return body


def retry_after_headers(error: AttriumError) -> dict[str, str]:
    """`Retry-After` (whole seconds, never early) for the errors a client should retry;
    the native mapping and every dialect's use this one rule."""
    if isinstance(error, RateLimited):
        return {"Retry-After": str(max(1, math.ceil(error.retry_after_seconds)))}
    if isinstance(error, Unavailable):
        return {"Retry-After": str(RETRY_AFTER_UNAVAILABLE_SECONDS)}
    return {}


def problem_response(error: AttriumError, request: Request) -> Response:
    return problem_answer(error, request.url.path)


def problem_answer(error: AttriumError, instance: str) -> Response:
    """The native answer to `error`, about the request to `instance` (a URL path)."""
    headers = retry_after_headers(error)
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="attrium"'
    if isinstance(error, RequestTimeout):
        headers["Connection"] = "close"
    return ProblemResponse(problem_body(error, instance), status_code=error.status, headers=headers)


def field_errors(errors: Sequence[Any], body: Any = None) -> list[FieldError]:
    """Pydantic's errors as field errors: dotted field, the pydantic rule, its message.

    An unknown field of the `body` model (its type, when known) gets the closest
    known name as a suggestion.
    """
    found = []
    for error in errors:
        location = list(error.get("loc", ()))
        source = "body"
        if location and location[0] in _LOCATIONS:
            source, location = location[0], location[1:]
        field = ".".join(str(part) for part in location) or "body"
        rule = str(error.get("type", "invalid"))
        message = str(error.get("msg", ""))
        if rule == "extra_forbidden" and source == "body" and body is not None:
            message += suggest.field_hint(body, location)
        found.append(FieldError(field, rule, message))
    return found


def request_validation_error(error: RequestValidationError, body: Any = None) -> AttriumError:
    """The problem for FastAPI's validation `error`; `body`: the route's body type."""
    raw = error.errors()
    if any(item.get("type") == "json_invalid" for item in raw):
        return MalformedRequest("the body is not valid JSON", field_errors(raw))
    found = field_errors(raw, body)
    summary = found[0].message if len(found) == 1 else f"{len(found)} fields broke a rule"
    if len(found) == 1:
        summary = f"{found[0].field}: {found[0].message}"
    return ValidationFailed(summary, found)


def body_type(route: Any) -> Any:
    """The type a route validates its body as, if it takes one."""
    body_field = getattr(route, "body_field", None)
    return getattr(getattr(body_field, "field_info", None), "annotation", None)


def http_error(error: HTTPException) -> AttriumError:
    if error.status_code == 404:
        return NotFound("no such route")
    if error.status_code == 405:
        return MethodNotAllowed("this route does not take that method")
    return MalformedRequest(str(error.detail))


def is_transient_database_error(error: Exception) -> bool:
    """The database is unreachable, overloaded or aborted the transaction."""
    if isinstance(error, OperationalError | InterfaceError | PoolTimeout | ConnectionError):
        return True
    if isinstance(error, DBAPIError):
        return _sqlstate(error).startswith(_TRANSIENT_SQLSTATES)
    return False


def http_error_answer(error: HTTPException, path: str) -> Response:
    response = problem_answer(http_error(error), path)
    if error.headers:
        response.headers.update(error.headers)
    return response


def database_error_answer(error: Exception, method: str, path: str) -> Response:
    # Answered here rather than by the catch-all, which re-raises to the server
    # and so drops the client's keep-alive connection.
    if is_transient_database_error(error):
        logger.warning("database unavailable on %s %s: %s", method, logs.redact_path(path), error)
        return problem_answer(Unavailable(_unavailable_detail(error)), path)
    return unexpected_answer(method, path)


TOO_MANY_CLIENTS = "53300"


def _unavailable_detail(error: Exception) -> str:
    if _sqlstate(error) == TOO_MANY_CLIENTS:
        return (
            "the database refused a connection: too many clients already (its"
            " max_connections); retry, and keep processes times ATTRIUM_DATABASE_POOL_SIZE below it"
        )
    return "the database is unavailable; retry"


def _sqlstate(error: Exception) -> str:
    orig = getattr(error, "orig", None)
    return str(getattr(orig, "sqlstate", None) or getattr(error, "sqlstate", None) or "")


def unexpected_answer(method: str, path: str) -> Response:
    """The 500 answer; call it while handling the exception, which it logs."""
    logger.exception("unhandled error on %s %s", method, logs.redact_path(path))
    return problem_answer(AttriumError("an unexpected error occurred"), path)


def install(app: FastAPI) -> None:
    """Map every error the native API can raise, once."""

    async def on_attrium_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, AttriumError)
        return problem_response(error, request)

    async def on_validation_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        body = body_type(request.scope.get("route"))
        return problem_response(request_validation_error(error, body), request)

    async def on_http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        return http_error_answer(error, request.url.path)

    async def on_database_error(request: Request, error: Exception) -> Response:
        return database_error_answer(error, request.method, request.url.path)

    async def on_unexpected(request: Request, error: Exception) -> Response:
        return unexpected_answer(request.method, request.url.path)

    app.add_exception_handler(AttriumError, on_attrium_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(SQLAlchemyError, on_database_error)
    app.add_exception_handler(ConnectionError, on_database_error)
    app.add_exception_handler(Exception, on_unexpected)
