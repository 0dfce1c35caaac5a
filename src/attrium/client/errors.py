"""Problem details (RFC 9457) as exceptions: one class per problem type the server sends."""

import os
from typing import Any


class AttriumClientError(Exception):
    """Anything the SDK raises."""


class MissingKey(AttriumClientError):
    """The client was made without an API key (none given, `ATTRIUM_KEY` unset or empty)."""


def url_and_key(url: str | None, key: str | None) -> tuple[str, str]:
    """The server URL and key a client uses: given, else `ATTRIUM_URL` and `ATTRIUM_KEY`;
    MissingKey at once without a key, rather than a 401 (or an illegal header) later."""
    base_url = url or os.environ.get("ATTRIUM_URL", "http://127.0.0.1:8000")
    token = (key or os.environ.get("ATTRIUM_KEY", "")).strip()
    if not token:
        raise MissingKey("no API key: pass one (key=..., --key) or set ATTRIUM_KEY")
    return base_url, token


class TransportError(AttriumClientError):
    """The server could not be reached, or did not answer in time (after retries)."""


class ApiError(AttriumClientError):
    """The server answered with a problem; its details are attributes."""

    slug = "internal-error"

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        self.type: str = str(problem.get("type", ""))
        self.title: str = str(problem.get("title", ""))
        self.detail: str = str(problem.get("detail", ""))
        self.errors: list[dict[str, str]] = list(problem.get("errors") or [])
        super().__init__(f"{status} {self.title}: {self.detail}")

    @property
    def fields(self) -> list[str]:
        """The fields the problem names."""
        return [error.get("field", "") for error in self.errors]


class InternalError(ApiError):
    slug = "internal-error"


class MalformedRequest(ApiError):
    slug = "malformed-request"


class Unauthenticated(ApiError):
    slug = "unauthenticated"


class Forbidden(ApiError):
    slug = "forbidden"


class NotFound(ApiError):
    slug = "not-found"


class MethodNotAllowed(ApiError):
    slug = "method-not-allowed"


class Conflict(ApiError):
    slug = "conflict"


class IdentifierConflict(Conflict):
    slug = "identifier-conflict"


class AlreadyExists(Conflict):
    slug = "already-exists"


class PayloadTooLarge(ApiError):
    slug = "payload-too-large"


class UnsupportedMediaType(ApiError):
    slug = "unsupported-media-type"


class ValidationFailed(ApiError):
    slug = "validation-failed"


class LimitExceeded(ValidationFailed):
    slug = "limit-exceeded"


class IdentifierSuppressed(Conflict):
    slug = "identifier-suppressed"


class RequestTimeout(ApiError):
    slug = "request-timeout"


class OutboundRefused(ValidationFailed):
    slug = "outbound-refused"


class OutboundFailed(ApiError):
    slug = "outbound-failed"


class RateLimited(ApiError):
    slug = "rate-limited"


class Unavailable(ApiError):
    slug = "unavailable"


def _subclasses(base: type[ApiError]) -> list[type[ApiError]]:
    found = []
    for child in base.__subclasses__():
        found.append(child)
        found.extend(_subclasses(child))
    return found


ERROR_CLASSES: dict[str, type[ApiError]] = {cls.slug: cls for cls in _subclasses(ApiError)}

_BY_STATUS: dict[int, type[ApiError]] = {
    400: MalformedRequest,
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    408: RequestTimeout,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: ValidationFailed,
    429: RateLimited,
    502: OutboundFailed,
    503: Unavailable,
}


def error_for(status: int, problem: dict[str, Any]) -> ApiError:
    """The exception for a problem: by its type, else by its status."""
    slug = str(problem.get("type", "")).rsplit("/", 1)[-1]
    error_class = ERROR_CLASSES.get(slug) or _BY_STATUS.get(status, ApiError)
    return error_class(status, problem)
