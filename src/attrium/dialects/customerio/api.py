"""Customer.io Track API routes, under `/compat/customerio/api/v1` (and `/api/v1`).

Seed 004 and the vendor's public reference: HTTP Basic `site_id:api_key` (the site
id is the workspace id), people addressed by id, email or `cio_<profile id>`, and
every success answered 200 with `{}`. Errors are `{"meta": {"error": "..."}}`.
"""

import contextlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response

from attrium.attributes.models import AttributeLimits, limits_for
from attrium.auth.actor import Actor
from attrium.auth.api import authenticate_call, authenticate_request
from attrium.auth.scopes import Scope
from attrium.core.database import Database
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.errors import (
    AttriumError,
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
from attrium.core.lean import LeanCall, lean, provides
from attrium.core.problems import retry_after_headers
from attrium.core.settings import Settings
from attrium.customers import service
from attrium.customers.identity import CustomerRef, IdentifierKind
from attrium.customers.models import CustomerWrite
from attrium.devices import service as devices
from attrium.dialects.common import (
    answer_unknown_routes,
    basic_credentials,
    basic_credentials_of,
    dialect_route,
    first_message,
    vendor_setting,
    vendor_status,
)
from attrium.dialects.customerio import tracking
from attrium.dialects.customerio.people import (
    MAX_IDENTIFIER_BYTES,
    PersonWrite,
    merge_side_ref,
    person_ref,
)
from attrium.dialects.mounts import DIALECT_PREFIXES
from attrium.events import service as events
from attrium.identity import merge as merging
from attrium.identity import service as identity

SOURCE = "customerio"
MAX_ATTRIBUTES_PER_PERSON = 300
MAX_NAME_BYTES = 150
MAX_VALUE_BYTES = 1000
UNLIMITED = 2**62
# Once set, a person's id and email change only when addressed by cio_id (seed 004)...
LOCKED_IDENTIFIERS = frozenset({IdentifierKind.ID, IdentifierKind.EMAIL})
# ... unless the workspace has "Allow updates to email using ID" on.
EMAIL_UPDATES_BY_ID = "customerio_allow_email_updates_by_id"


# Error mapping
_STATUSES: list[tuple[type[AttriumError], int]] = [
    (Unauthenticated, 401),
    (Forbidden, 401),
    (NotFound, 404),
    (RateLimited, 429),
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 400),
    (MalformedRequest, 400),
    (ValidationFailed, 400),
]


def render_error(error: AttriumError) -> Response:
    status = vendor_status(error, _STATUSES)
    headers = retry_after_headers(error)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="customerio"'
    return JsonResponse(
        {"meta": {"error": first_message(error)}}, status_code=status, headers=headers
    )


# Authentication: Basic site_id:api_key


async def track_actor(request: Request, db: DatabaseDep) -> Actor:
    credentials = basic_credentials(request)
    return await _track_actor(credentials, lambda key: authenticate_request(request, db, key))


async def track_actor_lean(call: LeanCall) -> Actor:
    credentials = basic_credentials_of(call.header(b"authorization"))
    return await _track_actor(credentials, lambda key: authenticate_call(call, key))


provides(track_actor, track_actor_lean)


async def _track_actor(
    credentials: tuple[str, str] | None, authenticate: Callable[[str], Awaitable[Actor]]
) -> Actor:
    if credentials is None:
        raise Unauthenticated("send 'Authorization: Basic' with site_id:api_key")
    site_id, api_key = credentials
    actor = await authenticate(api_key)
    if site_id != actor.workspace_id:
        raise Unauthenticated("the site id is not the workspace of this API key")
    if Scope.ATTRIBUTES_WRITE not in actor.scopes:
        raise Forbidden(f"this key lacks the {Scope.ATTRIBUTES_WRITE.value!r} scope")
    return actor.with_source(SOURCE)


TrackActor = Annotated[Actor, Depends(track_actor)]
# Native paths as the identify body holds them: topics under the preferences,
# relationships under `cio_relationships`, attributes at the top level.
_RELATIONSHIP = r"cio_relationships.relationships.\1"
CUSTOMERIO_FIELDS = [
    (re.compile(r"^topics\."), "cio_subscription_preferences.topics."),
    (
        re.compile(r"^(?:add|delete)\.(\d+)\.(object_type_id|object_id)$"),
        _RELATIONSHIP + r".identifiers.\2",
    ),
    (re.compile(r"^add\.(\d+)\.attributes(?=\.|$)"), _RELATIONSHIP + ".relationship_attributes"),
    (re.compile(r"^relationships$"), "cio_relationships.relationships"),
    (re.compile(r"^attributes\."), ""),
]

router = APIRouter(
    prefix=DIALECT_PREFIXES["customerio"],
    tags=["dialect: customer.io"],
    route_class=dialect_route(render_error, CUSTOMERIO_FIELDS),
)
OK: dict[str, Any] = {}


# Routes


@lean  # the Track API's hot write (core/lean.py)
@router.put("/api/v1/customers/{identifier}")
async def identify(
    identifier: str,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: TrackActor,
    body: Annotated[dict[str, Any], Body()],
) -> Response:
    """Add or update a person; identifier conflicts answer 200 and are logged."""
    person = PersonWrite.parse(identifier, body)
    options = _write_options(actor, settings, person.ref)
    # `_update` for nobody, an unknown cio_id, or a suppressed person: Customer.io
    # drops the request and logs it; the service has recorded it in the activity log.
    if person.preferences.given and Scope.SUBSCRIPTIONS_WRITE not in actor.scopes:
        raise Forbidden(f"this key lacks the {Scope.SUBSCRIPTIONS_WRITE.value!r} scope")
    then = person.then(actor, options.limits)
    with contextlib.suppress(NotFound, IdentifierSuppressed):
        await service.upsert(db, actor, person.ref, person.write, options, then)
    return JsonResponse(OK)


@router.delete("/api/v1/customers/{identifier}")
async def delete(identifier: str, db: DatabaseDep, actor: TrackActor) -> Response:
    """Delete a person; deleting nobody is not an error."""
    with contextlib.suppress(NotFound):
        await service.delete(db, actor, person_ref(identifier, "identifier"))
    return JsonResponse(OK)


@router.post("/api/v1/merge_customers")
async def merge_customers(
    db: DatabaseDep,
    settings: SettingsDep,
    actor: TrackActor,
    body: Annotated[dict[str, Any], Body()],
) -> Response:
    """Merge the secondary person into the primary, which must exist."""
    primary = merge_side_ref("primary", body.get("primary"))
    secondary = merge_side_ref("secondary", body.get("secondary"))
    options = _write_options(actor, settings, primary)
    try:
        await merging.merge(db, actor, primary, secondary, options)
    except NotFound as missing:
        # A secondary that is already gone (a repeated merge) leaves nothing to do.
        if not any(error.field == "secondary" for error in missing.errors):
            raise
    return JsonResponse(OK)


@router.post("/api/v1/customers/{identifier}/suppress")
async def suppress(identifier: str, db: DatabaseDep, actor: TrackActor) -> Response:
    """Delete a person and refuse their identifiers from now on."""
    await identity.suppress(db, actor, person_ref(identifier, "identifier"))
    return JsonResponse(OK)


@router.post("/api/v1/customers/{identifier}/unsuppress")
async def unsuppress(identifier: str, db: DatabaseDep, actor: TrackActor) -> Response:
    """Allow a suppressed person's identifiers again; unsuppressing nobody is not an error."""
    with contextlib.suppress(NotFound):
        await identity.unsuppress(db, actor, person_ref(identifier, "identifier"))
    return JsonResponse(OK)


@router.post("/api/v1/customers/{identifier}/events")
async def track(
    identifier: str,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: TrackActor,
    body: Annotated[dict[str, Any], Body()],
) -> Response:
    """Record a person's event (`track`, `backfill`, `pageview`)."""
    event = tracking.event_of(body)
    ref = person_ref(identifier, "identifier")
    await _for_person(db, settings, actor, ref, lambda: events.record(db, actor, ref, event))
    return JsonResponse(OK)


@router.post("/api/v1/events")
async def track_anonymous(
    db: DatabaseDep, actor: TrackActor, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """Record an anonymous event: the person's holding its anonymous_id, else unattached."""
    event, anonymous_id = tracking.anonymous_event_of(body)
    # A suppressed anonymous id: dropped and logged, as an identify naming it.
    with contextlib.suppress(IdentifierSuppressed):
        await events.record_anonymous(db, actor, anonymous_id, event)
    return JsonResponse(OK)


@router.put("/api/v1/customers/{identifier}/devices")
async def add_device(
    identifier: str,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: TrackActor,
    body: Annotated[dict[str, Any], Body()],
) -> Response:
    """Add or update a person's device."""
    device = tracking.device_of(body)
    ref = person_ref(identifier, "identifier")
    try:
        await _for_person(db, settings, actor, ref, lambda: devices.put(db, actor, ref, device))
    except ValidationFailed as refused:
        raise tracking.under_device(refused) from None
    return JsonResponse(OK)


@router.delete("/api/v1/customers/{identifier}/devices/{device_id}")
async def delete_device(
    identifier: str, device_id: str, db: DatabaseDep, actor: TrackActor
) -> Response:
    """Remove a person's device; removing what is not there is not an error."""
    with contextlib.suppress(NotFound):
        await devices.remove(db, actor, person_ref(identifier, "identifier"), device_id)
    return JsonResponse(OK)


async def _for_person(
    db: Database,
    settings: Settings,
    actor: Actor,
    ref: CustomerRef,
    action: Callable[[], Awaitable[object]],
) -> None:
    """Apply `action` to the person `ref` names, adding them first if there is none,
    as an identify without attributes would. A person that cannot be added (a cio_id
    of nobody, a suppressed identifier) drops the request, as identify does."""
    try:
        await action()
        return
    except NotFound:
        pass
    with contextlib.suppress(NotFound, IdentifierSuppressed):
        await service.upsert(db, actor, ref, CustomerWrite(), _write_options(actor, settings, ref))
        await action()


def _write_options(actor: Actor, settings: Settings, ref: CustomerRef) -> service.WriteOptions:
    return service.WriteOptions(
        limits=_limits(actor, settings),
        max_identifier_bytes=MAX_IDENTIFIER_BYTES,
        locked_kinds=_locked_identifiers(actor, settings, ref),
    )


def _locked_identifiers(
    actor: Actor, settings: Settings, ref: CustomerRef
) -> frozenset[IdentifierKind]:
    """The identifiers the native reassignment rule keeps fixed for this request: with
    "Allow updates to email using ID", a person addressed by id may change email."""
    if ref.kind is IdentifierKind.ID and actor.workspace.setting(EMAIL_UPDATES_BY_ID, settings):
        return LOCKED_IDENTIFIERS - {IdentifierKind.EMAIL}
    return LOCKED_IDENTIFIERS


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


answer_unknown_routes(router)
