"""Native customer routes (`/v1/customers`)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from attrium.activity import service as activity
from attrium.activity.schemas import ActivityPage
from attrium.auth.actor import Actor
from attrium.auth.api import requires
from attrium.auth.scopes import Scope
from attrium.core.database import Database
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.errors import AttriumError, FieldError, IdentifierConflict, ValidationFailed
from attrium.core.http import JsonRoute
from attrium.core.jsonio import JsonResponse
from attrium.core.lean import lean
from attrium.core.problems import problem_body
from attrium.core.schemas import PROBLEM_RESPONSES
from attrium.core.settings import Settings
from attrium.customers import service
from attrium.customers.identity import CustomerRef, IdentifierKind, custom_ref, normalise, parse_ref
from attrium.customers.models import CustomerWrite, WriteOutcome
from attrium.customers.schemas import (
    AttributeMap,
    AttributesOut,
    BatchIn,
    BatchOut,
    CustomerIn,
    CustomerOut,
    CustomerPage,
    CustomerProfileOut,
    EventTime,
    customer_body,
)
from attrium.devices import service as device_service
from attrium.history import service as history
from attrium.history.service import AS_OF_HELP

Reader = Annotated[Actor, Depends(requires(Scope.ATTRIBUTES_READ))]
Writer = Annotated[Actor, Depends(requires(Scope.ATTRIBUTES_WRITE))]
Limit = Annotated[int | None, Query(ge=1, le=1000)]
BATCH_PATH = "/v1/customers/batch"

router = APIRouter(
    prefix="/v1/customers", tags=["customers"], route_class=JsonRoute, responses=PROBLEM_RESPONSES
)


@router.get("", response_model=CustomerPage)
async def list_or_find_customers(
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Reader,
    email: str | None = None,
    phone: str | None = None,
    anonymous_id: str | None = None,
    identifier: Annotated[
        str | None, Query(description="NAME:VALUE of a custom identifier")
    ] = None,
    limit: Limit = None,
    cursor: str | None = None,
) -> Response:
    """Find by one identifier, or page through every customer."""
    ref = _filter_ref(settings.max_identifier_bytes, email, phone, anonymous_id, identifier)
    if ref is not None:
        found = await service.find(db, actor, ref)
        items = [customer_body(found)] if found else []
        return JsonResponse({"items": items, "next_cursor": None})
    page = await service.list_customers(db, actor, cursor, limit or settings.default_page_size)
    return JsonResponse(
        {"items": [customer_body(item) for item in page.items], "next_cursor": page.next_cursor}
    )


def _filter_ref(
    max_bytes: int,
    email: str | None,
    phone: str | None,
    anonymous_id: str | None,
    identifier: str | None,
) -> CustomerRef | None:
    given = {
        name: value
        for name, value in (
            ("email", email),
            ("phone", phone),
            ("anonymous_id", anonymous_id),
            ("identifier", identifier),
        )
        if value is not None
    }
    if not given:
        return None
    if len(given) > 1:
        message = "filter by one identifier at a time"
        raise ValidationFailed(message, [FieldError(name, "exclusive", message) for name in given])
    name, value = next(iter(given.items()))
    if name == "identifier":
        custom_name, separator, custom_value = value.partition(":")
        if not separator:
            message = "write the identifier filter as NAME:VALUE"
            raise ValidationFailed(message, [FieldError("identifier", "format", message)])
        return custom_ref(custom_name, custom_value, "identifier", max_bytes)
    kind = IdentifierKind(name)
    return CustomerRef(kind, normalise(kind, value, name, max_bytes))


# The hot writes are served lean (core/lean.py): same declaration, same endpoint,
# without FastAPI's per-request dependency solving. POST is the batch route's alone:
# PUT and GET of /v1/customers/batch still mean the customer whose id is "batch".
@lean
@router.post("/batch", response_model=BatchOut)
async def batch_customers(
    body: BatchIn, db: DatabaseDep, settings: SettingsDep, actor: Writer
) -> Response:
    """Create or update up to 1,000 customers, each item an NDJSON import line; one
    result per item, in order, each refused alone as its PUT would have been."""
    options = service.native_options(actor, settings)
    results = await service.upsert_items(db, actor, body.customers, options)
    return JsonResponse({"results": [_item_result(result) for result in results]})


def _item_result(result: service.WriteResult) -> dict[str, Any]:
    if isinstance(result, WriteOutcome):
        refused = _conflict_of(result)
        if refused is None:
            status = 201 if result.created else 200
            return {"status": status, "customer": customer_body(result.customer)}
        result = refused
    return {"status": result.status, "problem": problem_body(result, BATCH_PATH)}


@lean
@router.put(
    "/{customer_id}",
    response_model=CustomerOut,
    responses={201: {"model": CustomerOut, "description": "created"}},
)
async def put_customer(
    customer_id: str, body: CustomerIn, db: DatabaseDep, settings: SettingsDep, actor: Writer
) -> Response:
    """Create or update a customer; attributes are merged, identifiers set."""
    ref = parse_ref(customer_id, settings.max_identifier_bytes)
    outcome = await service.upsert(
        db, actor, ref, body.to_write(), service.native_options(actor, settings)
    )
    refused = _conflict_of(outcome)
    if refused is not None:
        raise refused
    headers = {"Location": f"/v1/customers/profile:{outcome.customer.profile_id}"}
    return JsonResponse(
        customer_body(outcome.customer),
        status_code=201 if outcome.created else 200,
        headers=headers,
    )


def _conflict_of(outcome: WriteOutcome) -> AttriumError | None:
    """The refusal of a write that could not give its customer every identifier it named
    (the rest of it applied)."""
    if not outcome.conflicts:
        return None
    conflicts = outcome.conflicts
    return IdentifierConflict(
        conflicts[0].reason,
        [FieldError(c.field, "identifier.conflict", c.reason) for c in conflicts],
        extra={
            "conflicts": [c.as_dict() for c in conflicts],
            "customer": customer_body(outcome.customer),
        },
    )


@router.get("/{customer_id}", response_model=CustomerProfileOut)
async def get_customer(
    customer_id: str,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Reader,
    as_of: Annotated[str | None, Query(description=AS_OF_HELP)] = None,
) -> Response:
    """The customer, with its devices; with `as_of`, its attributes and identifiers as
    they were then (404 if it did not exist yet; see docs/history.md)."""
    ref = parse_ref(customer_id, settings.max_identifier_bytes)
    moment = history.parse_as_of(as_of, settings)
    if moment is not None:
        past = await history.customer_as_of(db, actor, ref, moment)
        return JsonResponse({**customer_body(past), "as_of": moment})
    customer = await service.get(db, actor, ref)
    devices = await device_service.devices_of(db, actor, customer.profile_id)
    return JsonResponse({**customer_body(customer), "devices": devices})


@lean
@router.patch("/{customer_id}/attributes", response_model=AttributesOut)
async def patch_attributes(
    customer_id: str,
    body: AttributeMap,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Writer,
    timestamp: Annotated[
        EventTime | None,
        Query(
            description="when the data is from (RFC 3339 or Unix seconds): per attribute, "
            "an older write leaves a newer value; default: now"
        ),
    ] = None,
) -> Response:
    """Merge attributes into an existing customer: new added, existing updated, null removes."""
    outcome = await _update_attributes(customer_id, body, db, settings, actor, timestamp)
    return JsonResponse({"attributes": outcome})


async def _update_attributes(
    customer_id: str,
    patch: dict[str, Any],
    db: Database,
    settings: Settings,
    actor: Actor,
    timestamp: str | None = None,
) -> dict[str, Any]:
    ref = parse_ref(customer_id, settings.max_identifier_bytes)
    write = CustomerWrite(attributes=patch, update_only=True, timestamp=timestamp)
    options = service.native_options(actor, settings)
    outcome = await service.upsert(db, actor, ref, write, options)
    return outcome.customer.attributes


@lean
@router.delete("/{customer_id}/attributes/{name:path}", status_code=204)
async def delete_attribute(
    customer_id: str, name: str, db: DatabaseDep, settings: SettingsDep, actor: Writer
) -> Response:
    await _update_attributes(customer_id, {name: None}, db, settings, actor)
    return Response(status_code=204)


@router.delete("/{customer_id}", status_code=204)
async def delete_customer(
    customer_id: str, db: DatabaseDep, settings: SettingsDep, actor: Writer
) -> Response:
    """Erase the customer and the personal data in its activity."""
    await service.delete(db, actor, parse_ref(customer_id, settings.max_identifier_bytes))
    return Response(status_code=204)


@router.get("/{customer_id}/activity", response_model=ActivityPage)
async def customer_activity(
    customer_id: str,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Reader,
    limit: Limit = None,
    cursor: str | None = None,
) -> Response:
    """The customer's history, newest first."""
    customer = await service.get(db, actor, parse_ref(customer_id, settings.max_identifier_bytes))
    page = await activity.customer_history(
        db, actor, customer.profile_id, cursor, limit or settings.default_page_size
    )
    return JsonResponse({"items": page.items, "next_cursor": page.next_cursor})
