"""Invisible Collector, mounted at `/compat/invisible-collector` (seed 000).

Customers are registered and read with the SDKs' field names, and their custom
attributes are a string-to-string map merged by `POST customers/{id}/attributes`.
`{id}` is the customer's `gid` (Attrium's profile id) or its `externalId`. Errors are
`{"code": <status>, "message": "..."}`; a bearer key authenticates.
"""

import re
from typing import Annotated, Any

import phonenumbers
from fastapi import APIRouter, Body, Depends, Response
from pydantic import BaseModel, ConfigDict, field_validator

from attrium.auth.actor import Actor
from attrium.auth.scopes import Scope
from attrium.core.database import Database
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.errors import (
    AttriumError,
    Conflict,
    FieldError,
    MalformedRequest,
    NotFound,
    ValidationFailed,
)
from attrium.core.jsonio import JsonResponse
from attrium.core.problems import retry_after_headers
from attrium.core.settings import Settings
from attrium.customers import service as customers
from attrium.customers.identity import CustomerRef, IdentifierKind, custom_ref, normalise
from attrium.customers.models import Customer, CustomerWrite
from attrium.dialects.common import (
    UnknownRoute,
    answer_unknown_routes,
    bearer_actor,
    dialect_route,
)
from attrium.dialects.mounts import DIALECT_PREFIXES

SOURCE = "invisible-collector"
VAT_IDENTIFIER = "vatNumber"
# The standard fields of an Invisible Collector customer that Attrium keeps as attributes;
# the attribute routes, which handle the custom non-standard ones, neither show nor take them.
RECORD_ATTRIBUTES = ("name", "address", "zipCode", "city", "country", "phone", "mobile")

_MESSAGES = {
    401: "Credentials are required to access this resource",
    404: "Customer not found",
    409: "Customer already registered",
}


def ic_error(error: AttriumError) -> Response:
    """The vendor's error body; a body that is not a JSON document is a 422 there too."""
    status = 422 if isinstance(error, MalformedRequest | ValidationFailed) else error.status
    message = _MESSAGES.get(status, error.detail)
    if isinstance(error, UnknownRoute):
        message = "Not Found"  # no customer is missing: the route is
    if status == 422:
        message = f"Unprocessable request: {error.detail}"
    body: dict[str, Any] = {"code": status, "message": message}
    if status == 409 and error.extra.get("profile_id"):
        body["gid"] = error.extra["profile_id"]
    headers = retry_after_headers(error)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JsonResponse(body, status_code=status, headers=headers)


Reader = Annotated[Actor, Depends(bearer_actor(SOURCE, Scope.ATTRIBUTES_READ))]
Writer = Annotated[Actor, Depends(bearer_actor(SOURCE, Scope.ATTRIBUTES_WRITE))]

router = APIRouter(
    prefix=DIALECT_PREFIXES["invisible-collector"],
    tags=["invisible-collector"],
    route_class=dialect_route(ic_error),
)


class IcCustomer(BaseModel):
    """A customer record as the SDKs send it; `gid` is read-only and ignored."""

    model_config = ConfigDict(strict=True, extra="forbid")

    name: str | None = None
    vatNumber: str | None = None
    externalId: str | None = None
    address: str | None = None
    zipCode: str | None = None
    city: str | None = None
    country: str | None = None
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None
    gid: str | None = None

    @field_validator("country")
    @classmethod
    def iso_country(cls, country: str | None) -> str | None:
        if country is not None and country.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("country must be an ISO 3166-1 alpha-2 code, such as PT")
        return country.upper() if country else country

    def to_write(self, *, create_only: bool = False, update_only: bool = False) -> CustomerWrite:
        """The fields the body names; null removes one (except on creation)."""
        given = self.model_fields_set - {"gid"}
        identifiers: dict[IdentifierKind, str | None] = {}
        if "externalId" in given:
            identifiers[IdentifierKind.ID] = self.externalId
        if "email" in given:
            identifiers[IdentifierKind.EMAIL] = self.email
        custom = {VAT_IDENTIFIER: self.vatNumber} if "vatNumber" in given else {}
        attributes = {name: getattr(self, name) for name in RECORD_ATTRIBUTES if name in given}
        if create_only:
            attributes = {name: value for name, value in attributes.items() if value is not None}
        return CustomerWrite(
            identifiers=identifiers,
            custom_identifiers=custom,
            attributes=attributes,
            create_only=create_only,
            update_only=update_only,
        )


def as_text(value: Any) -> str:
    """An attribute value as the vendor's string map holds it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def customer_body(customer: Customer) -> dict[str, Any]:
    record = {
        name: as_text(customer.attributes[name]) if name in customer.attributes else None
        for name in RECORD_ATTRIBUTES
    }
    return {
        "gid": customer.profile_id,
        "externalId": customer.id,
        "vatNumber": customer.custom_identifiers.get(VAT_IDENTIFIER),
        "email": customer.email,
        **record,
    }


def attribute_map(customer: Customer) -> dict[str, str]:
    return {
        name: as_text(value)
        for name, value in customer.attributes.items()
        if name not in RECORD_ATTRIBUTES
    }


_GID = re.compile(r"[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}")


def _refs(customer_id: str, max_bytes: int) -> list[CustomerRef]:
    """The customers `{id}` may name: the one whose gid it is, else whose externalId."""
    by_external_id = CustomerRef(
        IdentifierKind.ID, normalise(IdentifierKind.ID, customer_id, "id", max_bytes)
    )
    if not _GID.fullmatch(customer_id):
        return [by_external_id]
    return [CustomerRef(IdentifierKind.PROFILE, customer_id.upper()), by_external_id]


async def _find(db: Database, actor: Actor, customer_id: str, settings: Settings) -> Customer:
    for ref in _refs(customer_id, settings.max_identifier_bytes):
        found = await customers.find(db, actor, ref)
        if found is not None:
            return found
    raise NotFound(f"no customer {customer_id!r}")


def _by_profile(customer: Customer) -> CustomerRef:
    return CustomerRef(IdentifierKind.PROFILE, customer.profile_id)


@router.post("/customers", status_code=201)
@router.post("/v1/customers", status_code=201, include_in_schema=False)
async def register_customer(
    body: IcCustomer, db: DatabaseDep, settings: SettingsDep, actor: Writer
) -> Response:
    """Register a customer; 409 with the existing `gid` if its vatNumber or externalId is taken."""
    missing = [name for name in ("name", "vatNumber") if getattr(body, name) is None]
    if missing:
        errors = [FieldError(name, "required", f"{name} is mandatory") for name in missing]
        raise ValidationFailed(f"missing mandatory fields: {', '.join(missing)}", errors)
    assert body.vatNumber is not None
    max_bytes = settings.max_identifier_bytes
    ref = (
        CustomerRef(
            IdentifierKind.ID,
            normalise(IdentifierKind.ID, body.externalId, "externalId", max_bytes),
        )
        if body.externalId is not None
        else custom_ref(VAT_IDENTIFIER, body.vatNumber, VAT_IDENTIFIER, max_bytes)
    )
    write = body.to_write(create_only=True)
    outcome = await customers.upsert(
        db, actor, ref, write, customers.native_options(actor, settings)
    )
    return JsonResponse(customer_body(outcome.customer), status_code=201)


@router.get("/customers/{customer_id}")
@router.get("/v1/customers/{customer_id}", include_in_schema=False)
async def get_customer(
    customer_id: str, db: DatabaseDep, settings: SettingsDep, actor: Reader
) -> Response:
    return JsonResponse(customer_body(await _find(db, actor, customer_id, settings)))


@router.put("/customers/{customer_id}")
@router.put("/v1/customers/{customer_id}", include_in_schema=False)
async def update_customer(
    customer_id: str, body: IcCustomer, db: DatabaseDep, settings: SettingsDep, actor: Writer
) -> Response:
    """Change the fields the body names; null clears one."""
    customer = await _find(db, actor, customer_id, settings)
    outcome = await customers.upsert(
        db,
        actor,
        _by_profile(customer),
        body.to_write(update_only=True),
        customers.native_options(actor, settings),
    )
    if outcome.conflicts:
        conflict = outcome.conflicts[0]
        raise Conflict(conflict.reason, extra={"profile_id": conflict.other_profile_id})
    return JsonResponse(customer_body(outcome.customer))


@router.get("/customers/{customer_id}/attributes")
@router.get("/v1/customers/{customer_id}/attributes", include_in_schema=False)
async def get_attributes(
    customer_id: str, db: DatabaseDep, settings: SettingsDep, actor: Reader
) -> Response:
    return JsonResponse(attribute_map(await _find(db, actor, customer_id, settings)))


@router.post("/customers/{customer_id}/attributes")
@router.post("/v1/customers/{customer_id}/attributes", include_in_schema=False)
async def set_attributes(
    customer_id: str,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Writer,
    body: Annotated[Any, Body(description="a map of string keys to string values")] = None,
) -> Response:
    """Merge the map: new attributes added, existing updated; answers all of them."""
    patch = _string_map(body)
    customer = await _find(db, actor, customer_id, settings)
    write = CustomerWrite(attributes=patch, update_only=True)
    if patch:
        options = customers.native_options(actor, settings)
        customer = (
            await customers.upsert(db, actor, _by_profile(customer), write, options)
        ).customer
    # A key that may not read gets back only what it sent, even when it sent nothing.
    return JsonResponse(
        attribute_map(customers.seen_by(actor, customer, _by_profile(customer), write))
    )


def _string_map(body: Any) -> dict[str, str]:
    """The body as a string map, or ValidationFailed naming every entry that is not one."""
    if body is None:
        return {}
    if not isinstance(body, dict):
        message = "the body must be a JSON object of string keys and string values"
        raise ValidationFailed(message, [FieldError("body", "type.object", message)])
    errors = []
    for name, value in body.items():
        if name in RECORD_ATTRIBUTES:
            errors.append(
                FieldError(
                    name,
                    "standard_field",
                    f"{name!r} is a standard customer field; change it with PUT customers/{{id}}",
                )
            )
        elif not isinstance(value, str):
            errors.append(
                FieldError(name, "type.string", f"the value of {name!r} must be a string")
            )
    if errors:
        raise ValidationFailed("; ".join(error.message for error in errors), errors)
    return body


answer_unknown_routes(router)
