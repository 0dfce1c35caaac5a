"""Attentive: custom attributes (v1) and user properties (v2), under `/compat/attentive`.

Seeds 001 and 002. A user is named by its identifiers (client user id, email, phone,
custom identifiers); the first one given addresses the customer and the others are
set on it, so Attentive's create-or-update is the native upsert.
"""

import re
import sys
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.attributes.models import AttributeLimits, limits_for
from attrium.auth.actor import Actor
from attrium.auth.scopes import Scope
from attrium.core.database import Database
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.errors import (
    AttriumError,
    FieldError,
    Forbidden,
    MalformedRequest,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
)
from attrium.core.jsonio import JsonResponse
from attrium.core.problems import retry_after_headers
from attrium.core.ratelimit import Limit
from attrium.core.settings import Settings
from attrium.customers import service
from attrium.customers.identity import CustomerRef, IdentifierKind, normalise
from attrium.customers.models import Customer, CustomerWrite
from attrium.dialects.common import (
    answer_unknown_routes,
    bearer_actor,
    dialect_route,
    first_message,
    vendor_setting,
    vendor_status,
)
from attrium.subscriptions import service as subscriptions
from attrium.subscriptions.models import (
    Channel,
    SubscriptionRequest,
    SubscriptionType,
    SubscriptionUpdate,
)

SOURCE = "attentive"
MAX_NAME_CHARS = 200
MAX_CLIENT_USER_ID_CHARS = 100
V2_MAX_ATTRIBUTES = 100  # seed 002: "a limit of 100 of custom attributes"
V1_MAX_ATTRIBUTES = None  # seed 001: "no limits to the amount of custom attributes"
UNLIMITED = sys.maxsize


# Vendor request models


class VendorModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class CustomIdentifier(VendorModel):
    name: str
    value: str


class ExternalIdentifiers(VendorModel):
    client_user_id: str | None = Field(
        default=None, alias="clientUserId", max_length=MAX_CLIENT_USER_ID_CHARS
    )
    custom_identifiers: list[CustomIdentifier] | None = Field(
        default=None, alias="customIdentifiers"
    )


class EventUser(VendorModel):
    phone: str | None = None
    email: str | None = None
    external_identifiers: ExternalIdentifiers | None = Field(
        default=None, alias="externalIdentifiers"
    )


class CustomAttributesIn(VendorModel):
    properties: dict[str, Any]
    user: EventUser


class UserIdentifiers(VendorModel):
    phone: str | None = None
    email: str | None = None
    client_user_id: str | None = Field(
        default=None, alias="clientUserId", max_length=MAX_CLIENT_USER_ID_CHARS
    )
    shopify_id: str | None = Field(default=None, alias="shopifyId")
    klaviyo_id: str | None = Field(default=None, alias="klaviyoId")
    custom_identifiers: list[CustomIdentifier] | None = Field(
        default=None, alias="customIdentifiers"
    )


class Subscription(VendorModel):
    channel: Literal["TEXT", "EMAIL"]
    type: Literal["MARKETING", "TRANSACTIONAL"]
    sign_up_source_id: str | int | None = Field(default=None, alias="signUpSourceId")
    locale: str | None = None
    single_opt_in: bool | None = Field(default=None, alias="singleOptIn")


class UserPropertiesIn(VendorModel):
    attributes: dict[str, Any] | None = None
    subscriptions: list[Subscription] | None = None
    identifiers: UserIdentifiers


# Error mapping (seed: 400, 401, 403, 404, 429, 500)
_STATUSES: list[tuple[type[AttriumError], int]] = [
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (RateLimited, 429),
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (MalformedRequest, 400),
    (ValidationFailed, 400),
]


def render_error(error: AttriumError) -> Response:
    status = vendor_status(error, _STATUSES)
    body: dict[str, Any] = {"status": status, "message": first_message(error)}
    if error.errors:
        body["errors"] = [field_error.as_dict() for field_error in error.errors]
    # A 429 also carries the bucket's x-ratelimit-limit / x-ratelimit-remaining,
    # which every rate-limited answer gets (core.middleware).
    headers = retry_after_headers(error)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="attentive"'
    return JsonResponse(body, status_code=status, headers=headers)


# Native subscription paths, and pydantic's, as Attentive names them: `subscriptions[0]`.
_SUBSCRIPTION = r"^subscriptions\.(\d+)"
ATTENTIVE_FIELDS = [
    (
        re.compile(_SUBSCRIPTION + r"\.signup_source_id(?=\.|$)"),
        r"subscriptions[\1].signUpSourceId",
    ),
    (re.compile(_SUBSCRIPTION + r"\.single_opt_in(?=\.|$)"), r"subscriptions[\1].singleOptIn"),
    (re.compile(_SUBSCRIPTION + r"(?=\.|$)"), r"subscriptions[\1]"),
    (
        re.compile(r"^(identifiers|user\.externalIdentifiers)\.customIdentifiers\.(\d+)(?=\.|$)"),
        r"\1.customIdentifiers[\2]",
    ),
]

router = APIRouter(
    prefix="/compat/attentive",
    tags=["dialect: attentive"],
    route_class=dialect_route(render_error, ATTENTIVE_FIELDS),
)
AttributesWriter = Annotated[
    Actor, Depends(bearer_actor(SOURCE, Scope.ATTRIBUTES_WRITE, Limit.ATTENTIVE))
]


# Routes


@router.post("/v1/attributes/custom")
async def post_custom_attributes(
    body: CustomAttributesIn, db: DatabaseDep, settings: SettingsDep, actor: AttributesWriter
) -> Response:
    """Set custom attributes on a user (created if new); types fixed by first values."""
    user = body.user
    external = user.external_identifiers or ExternalIdentifiers()
    named = _Identified(
        client_user_id=external.client_user_id,
        email=user.email,
        phone=user.phone,
        custom=[(item.name, item.value) for item in external.custom_identifiers or []],
        field_prefix="user",
    )
    ref, write = named.write(body.properties, settings)
    await _upsert(db, actor, settings, ref, write, V1_MAX_ATTRIBUTES, "properties")
    return JsonResponse({})


@router.post("/v2/user/attributes", status_code=202)
async def post_user_attributes(
    body: UserPropertiesIn, db: DatabaseDep, settings: SettingsDep, actor: AttributesWriter
) -> Response:
    """Create or update one user with attributes and identifiers."""
    if body.subscriptions:
        actor.require(Scope.SUBSCRIPTIONS_WRITE)
    identifiers = body.identifiers
    custom = [(item.name, item.value) for item in identifiers.custom_identifiers or []]
    custom += [
        (name, value)
        for name, value in (
            ("shopifyId", identifiers.shopify_id),
            ("klaviyoId", identifiers.klaviyo_id),
        )
        if value is not None
    ]
    named = _Identified(
        client_user_id=identifiers.client_user_id,
        email=identifiers.email,
        phone=identifiers.phone,
        custom=custom,
        field_prefix="identifiers",
    )
    ref, write = named.write(body.attributes or {}, settings)
    opt_ins = _opt_ins(body.subscriptions or [])
    await _upsert(db, actor, settings, ref, write, V2_MAX_ATTRIBUTES, "attributes", opt_ins)
    return JsonResponse(
        {"success": True, "message": "The user was created or updated"}, status_code=202
    )


# Translation onto the customers service


class _Identified:
    """A user as Attentive names it, turned into a reference and a customer write."""

    def __init__(
        self,
        client_user_id: str | None,
        email: str | None,
        phone: str | None,
        custom: list[tuple[str, str]],
        field_prefix: str,
    ) -> None:
        self.columns = {
            IdentifierKind.ID: client_user_id,
            IdentifierKind.EMAIL: email,
            IdentifierKind.PHONE: phone,
        }
        self.custom = custom
        self.field_prefix = field_prefix

    def write(
        self, attributes: dict[str, Any], settings: Settings
    ) -> tuple[CustomerRef, CustomerWrite]:
        max_bytes = settings.max_identifier_bytes
        refs = [
            CustomerRef(kind, normalise(kind, value, self._field(kind), max_bytes))
            for kind, value in self.columns.items()
            if value is not None
        ]
        refs += [
            CustomerRef(
                IdentifierKind.CUSTOM,
                normalise(IdentifierKind.CUSTOM, value, f"{self.field_prefix}.{name}", max_bytes),
                name,
            )
            for name, value in self.custom
        ]
        if not refs:
            message = "name the user by phone, email, clientUserId or a custom identifier"
            raise ValidationFailed(
                message, [FieldError(self.field_prefix, "identifier.required", message)]
            )
        write = CustomerWrite(
            identifiers={
                ref.kind: ref.value for ref in refs if ref.kind is not IdentifierKind.CUSTOM
            },
            custom_identifiers={ref.name: ref.value for ref in refs if ref.name is not None},
            attributes=attributes,
        )
        return refs[0], write

    def _field(self, kind: IdentifierKind) -> str:
        names = {IdentifierKind.ID: "clientUserId"}
        return f"{self.field_prefix}.{names.get(kind, kind.value)}"


def _limits(actor: Actor, settings: Settings, vendor_max: int | None) -> AttributeLimits:
    native = limits_for(actor, settings)
    values = replace(
        native.values,
        max_name_chars=MAX_NAME_CHARS,
        numeric_strings_are_numbers=True,
        nested=None,  # seeds 001 and 002: arrays and maps are refused (400)
    )
    max_definitions = vendor_setting(actor, "max_attributes", vendor_max)
    return replace(native, values=values, max_definitions=max_definitions or UNLIMITED)


async def _upsert(
    db: Database,
    actor: Actor,
    settings: Settings,
    ref: CustomerRef,
    write: CustomerWrite,
    vendor_max: int | None,
    attributes_field: str,
    opt_ins: SubscriptionUpdate | None = None,
) -> None:
    options = service.WriteOptions(
        limits=_limits(actor, settings, vendor_max),
        max_identifier_bytes=settings.max_identifier_bytes,
        attributes_field=attributes_field,
    )
    # Identifier conflicts are recorded in both customers' activity; Attentive still
    # accepts the rest of the write, so the answer stays a success.
    then = None if opt_ins is None else _subscribing(actor, opt_ins)
    await service.upsert(db, actor, ref, write, options, then)


def _subscribing(actor: Actor, opt_ins: SubscriptionUpdate) -> service.AfterWrite:
    async def subscribe(connection: AsyncConnection, customer: Customer) -> None:
        await subscriptions.apply(connection, actor, customer, opt_ins)

    return subscribe


def _opt_ins(requested: list[Subscription]) -> SubscriptionUpdate | None:
    """Attentive's subscriptions as native opt-ins (its requests only opt in)."""
    if not requested:
        return None
    return SubscriptionUpdate(
        subscriptions=[
            SubscriptionRequest(
                channel=Channel(item.channel),
                type=SubscriptionType(item.type),
                signup_source_id=None
                if item.sign_up_source_id is None
                else str(item.sign_up_source_id),
                locale=item.locale,
                single_opt_in=bool(item.single_opt_in),
            )
            for item in requested
        ]
    )


answer_unknown_routes(router)
