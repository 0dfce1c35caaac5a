"""Customer.io Track API, under `/compat/customerio`.

Seed 004 and the vendor's public reference: HTTP Basic `site_id:api_key` (the site
id is the workspace id), people addressed by id, email or `cio_<profile id>`, and
every success answered 200 with `{}`. Errors are `{"meta": {"error": "..."}}`.
"""

import contextlib
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response

from attrium.attributes.models import AttributeLimits, limits_for
from attrium.auth import service as keys
from attrium.auth.actor import Actor
from attrium.auth.scopes import Scope
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.errors import (
    AttriumError,
    FieldError,
    Forbidden,
    IdentifierSuppressed,
    MalformedRequest,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
)
from attrium.core.jsonio import JsonResponse
from attrium.core.settings import Settings
from attrium.customers import service
from attrium.customers.identity import CustomerRef, IdentifierKind, normalise
from attrium.customers.models import CustomerWrite
from attrium.dialects.common import (
    basic_credentials,
    dialect_route,
    first_message,
    vendor_setting,
)
from attrium.identity import service as identity

SOURCE = "customerio"
CIO_ID_PREFIX = "cio_"
MAX_ATTRIBUTES_PER_PERSON = 300
MAX_NAME_BYTES = 150
MAX_VALUE_BYTES = 1000
MAX_IDENTIFIER_BYTES = 150
UNLIMITED = 2**62
# Once set, a person's id and email change only when addressed by cio_id (seed 004).
LOCKED_IDENTIFIERS = frozenset({IdentifierKind.ID, IdentifierKind.EMAIL})
RESERVED_FIELDS = frozenset({"id", "email", "cio_id", "anonymous_id", "created_at", "_update"})
NOT_YET_SUPPORTED = frozenset({"unsubscribed", "cio_subscription_preferences", "cio_relationships"})


# Error mapping


def _status_of(error: AttriumError) -> int:
    statuses: list[tuple[type[AttriumError], int]] = [
        (Unauthenticated, 401),
        (Forbidden, 401),
        (NotFound, 404),
        (RateLimited, 429),
        (PayloadTooLarge, 413),
        (UnsupportedMediaType, 400),
        (MalformedRequest, 400),
        (ValidationFailed, 400),
    ]
    fallback = 400 if error.status < 500 else 500  # no bad input is ever a 500
    return next((status for kind, status in statuses if isinstance(error, kind)), fallback)


def render_error(error: AttriumError) -> Response:
    status = _status_of(error)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="customerio"'
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(max(1, round(error.retry_after_seconds)))
    return JsonResponse(
        {"meta": {"error": first_message(error)}}, status_code=status, headers=headers
    )


# Authentication: Basic site_id:api_key


async def track_actor(request: Request, db: DatabaseDep) -> Actor:
    credentials = basic_credentials(request)
    if credentials is None:
        raise Unauthenticated("send 'Authorization: Basic' with site_id:api_key")
    site_id, api_key = credentials
    actor = await keys.authenticate(db, api_key)
    if site_id != actor.workspace_id:
        raise Unauthenticated("the site id is not the workspace of this API key")
    if Scope.ATTRIBUTES_WRITE not in actor.scopes:
        raise Forbidden(f"this key lacks the {Scope.ATTRIBUTES_WRITE.value!r} scope")
    return actor.with_source(SOURCE)


TrackActor = Annotated[Actor, Depends(track_actor)]
router = APIRouter(
    prefix="/compat/customerio/api/v1",
    tags=["dialect: customer.io"],
    route_class=dialect_route(render_error),
)
OK: dict[str, Any] = {}


# Routes


@router.put("/customers/{identifier}")
async def identify(
    identifier: str,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: TrackActor,
    body: Annotated[dict[str, Any], Body()],
) -> Response:
    """Add or update a person; identifier conflicts answer 200 and are logged."""
    person = _PersonWrite.parse(identifier, body)
    options = service.WriteOptions(
        limits=_limits(actor, settings),
        max_identifier_bytes=MAX_IDENTIFIER_BYTES,
        locked_kinds=LOCKED_IDENTIFIERS,
    )
    # `_update` for nobody, an unknown cio_id, or a suppressed person: Customer.io
    # drops the request and logs it; the service has recorded it in the activity log.
    with contextlib.suppress(NotFound, IdentifierSuppressed):
        await service.upsert(db, actor, person.ref, person.write, options)
    return JsonResponse(OK)


@router.delete("/customers/{identifier}")
async def delete(identifier: str, db: DatabaseDep, actor: TrackActor) -> Response:
    """Delete a person; deleting nobody is not an error."""
    with contextlib.suppress(NotFound):
        await service.delete(db, actor, _ref(identifier, "identifier"))
    return JsonResponse(OK)


@router.post("/customers/{identifier}/suppress")
async def suppress(identifier: str, db: DatabaseDep, actor: TrackActor) -> Response:
    """Delete a person and refuse their identifiers from now on."""
    await identity.suppress(db, actor, _ref(identifier, "identifier"))
    return JsonResponse(OK)


@router.post("/customers/{identifier}/unsuppress")
async def unsuppress(identifier: str, db: DatabaseDep, actor: TrackActor) -> Response:
    """Allow a suppressed person's identifiers again; unsuppressing nobody is not an error."""
    with contextlib.suppress(NotFound):
        await identity.unsuppress(db, actor, _ref(identifier, "identifier"))
    return JsonResponse(OK)


# Translation onto the customers service


def _ref(identifier: str, field: str) -> CustomerRef:
    """A person's reference: `cio_<profile id>`, an email address, or an id."""
    if identifier.startswith(CIO_ID_PREFIX):
        value = identifier.removeprefix(CIO_ID_PREFIX)
        return CustomerRef(
            IdentifierKind.PROFILE,
            normalise(IdentifierKind.PROFILE, value, field, MAX_IDENTIFIER_BYTES),
        )
    kind = IdentifierKind.EMAIL if "@" in identifier else IdentifierKind.ID
    return CustomerRef(kind, normalise(kind, identifier, field, MAX_IDENTIFIER_BYTES))


@dataclass(frozen=True, slots=True)
class _PersonWrite:
    ref: CustomerRef
    write: CustomerWrite

    @classmethod
    def parse(cls, identifier: str, body: dict[str, Any]) -> "_PersonWrite":
        unsupported = sorted(name for name in body if name.split(".", 1)[0] in NOT_YET_SUPPORTED)
        if unsupported:
            raise ValidationFailed(
                f"{unsupported[0]} is not supported on this server yet",
                [FieldError(name, "unsupported", "not supported yet") for name in unsupported],
            )
        ref = _ref(identifier, "identifier")
        if body.get("cio_id") is not None:
            ref = _ref(f"{CIO_ID_PREFIX}{_text(body, 'cio_id')}", "cio_id")
        identifiers: dict[IdentifierKind, str | None] = {
            kind: _text(body, kind.value)
            for kind in (IdentifierKind.ID, IdentifierKind.EMAIL, IdentifierKind.ANONYMOUS_ID)
            if body.get(kind.value) not in (None, "")
        }
        attributes = {
            name: None if value == "" else value
            for name, value in body.items()
            if name not in RESERVED_FIELDS
        }
        if "created_at" in body:
            attributes["created_at"] = _unix_seconds(body["created_at"])
        update_only = body.get("_update", False)
        if not isinstance(update_only, bool):
            raise _invalid("_update", "type", "_update must be true or false")
        return cls(
            ref,
            CustomerWrite(identifiers=identifiers, attributes=attributes, update_only=update_only),
        )


def _text(body: dict[str, Any], name: str) -> str:
    value = body[name]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise _invalid(name, "type", f"{name} must be a string")
    return value


def _unix_seconds(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid("created_at", "type", "created_at must be a Unix timestamp in seconds")
    return value


def _invalid(field: str, rule: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, [FieldError(field, rule, message)])


def _limits(actor: Actor, settings: Settings) -> AttributeLimits:
    native = limits_for(actor, settings)
    values = replace(
        native.values,
        max_name_chars=MAX_NAME_BYTES,
        max_name_bytes=MAX_NAME_BYTES,
        max_string_bytes=vendor_setting(actor, "max_string_bytes", MAX_VALUE_BYTES)
        or MAX_VALUE_BYTES,
    )
    max_definitions = vendor_setting(actor, "max_attributes", None) or UNLIMITED
    return replace(
        native,
        values=values,
        max_definitions=max_definitions,
        max_per_customer=MAX_ATTRIBUTES_PER_PERSON,
    )
