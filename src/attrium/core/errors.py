"""The one error hierarchy of the domain.

Services raise these; `core.problems` maps them to RFC 9457 responses for the native
API, and each dialect maps them to its vendor's documented codes. The HTTP status on
each class is the native mapping, kept here so the hierarchy reads as one table.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class FieldError:
    """One broken rule: which field, which rule, and a sentence for a person."""

    field: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message}


class AttriumError(Exception):
    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(
        self,
        detail: str,
        errors: Sequence[FieldError] = (),
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = tuple(errors)
        self.extra = dict(extra or {})


class MalformedRequest(AttriumError):
    status = 400
    slug = "malformed-request"
    title = "Malformed request"


class Unauthenticated(AttriumError):
    status = 401
    slug = "unauthenticated"
    title = "Missing or invalid credentials"


class Forbidden(AttriumError):
    status = 403
    slug = "forbidden"
    title = "Not allowed for this key"


class NotFound(AttriumError):
    status = 404
    slug = "not-found"
    title = "Not found"


class MethodNotAllowed(AttriumError):
    status = 405
    slug = "method-not-allowed"
    title = "Method not allowed"


class RequestTimeout(AttriumError):
    """The client stopped sending its request's headers or body."""

    status = 408
    slug = "request-timeout"
    title = "Request not received in time"


class Conflict(AttriumError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class IdentifierConflict(Conflict):
    """An identifier in the request belongs to another customer."""

    slug = "identifier-conflict"
    title = "Identifier belongs to another customer"


class IdentifierSuppressed(Conflict):
    """An identifier in the request belongs to a suppressed customer."""

    slug = "identifier-suppressed"
    title = "Identifier is suppressed"


class AlreadyExists(Conflict):
    slug = "already-exists"
    title = "Already exists"


class PayloadTooLarge(AttriumError):
    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class UnsupportedMediaType(AttriumError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class ValidationFailed(AttriumError):
    status = 422
    slug = "validation-failed"
    title = "The request broke a rule"


class LimitExceeded(ValidationFailed):
    slug = "limit-exceeded"
    title = "A workspace limit would be exceeded"


class OutboundRefused(ValidationFailed):
    """A URL the server was asked to call points where outbound calls may not go."""

    slug = "outbound-refused"
    title = "The URL may not be called"


class RateLimited(AttriumError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, retry_after_seconds: float) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds


class Unavailable(AttriumError):
    status = 503
    slug = "unavailable"
    title = "Service unavailable"


class OutboundFailed(AttriumError):
    """A call the server made to another service failed after its retries."""

    status = 502
    slug = "outbound-failed"
    title = "A call to another service failed"


def single_field_error(
    error_class: type[AttriumError], field: str, rule: str, message: str
) -> AttriumError:
    """Build an error whose detail is the message of its only field error."""
    return error_class(message, [FieldError(field, rule, message)])


def refuse_nulls(changes: Mapping[str, Any], required: Iterable[str]) -> None:
    """A partial update may leave a required field out, but not set it to null."""
    nulled = [field for field in required if field in changes and changes[field] is None]
    if nulled:
        errors = [
            FieldError(field, "not_null", f"{field} cannot be null; leave it out to keep it")
            for field in nulled
        ]
        raise ValidationFailed(errors[0].message, errors)
