"""Attentive's users and attributes, translated onto the customers and subscriptions services.

A user is named by its identifiers (client user id, email, phone, custom identifiers);
the first one given addresses the customer and the others are set on it, so
Attentive's create-or-update is the native upsert.
"""

import re
import sys
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.attributes.models import AttributeLimits, limits_for
from attrium.attributes.values import AttributeType
from attrium.auth.actor import Actor
from attrium.core.database import Database
from attrium.core.errors import AttriumError, FieldError, ValidationFailed
from attrium.core.settings import Settings
from attrium.customers import service
from attrium.customers.identity import CustomerRef, IdentifierKind, normalise
from attrium.customers.models import Customer, CustomerWrite, WriteOutcome
from attrium.customers.timing import event_time
from attrium.dialects.attentive_schemas import PERSONAL_ATTRIBUTES, UserAttributes
from attrium.dialects.common import FieldPaths, vendor_fields, vendor_setting
from attrium.subscriptions import service as subscriptions
from attrium.subscriptions.models import SubscriptionState, SubscriptionUpdate

MAX_NAME_CHARS = 200
UNLIMITED = sys.maxsize
# Attentive documents these personal details as strings, except age (an integer) and
# the date of birth (a date): they do not take a type from a first value such as "11222".
PERSONAL_TYPES = {"age": AttributeType.NUMBER, "date_of_birth": AttributeType.DATETIME}


class Identified:
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


def occurred_at(value: str | None) -> str | None:
    """`occurredAt` (RFC 3339 with its offset) as the write's time (customers.timing)."""
    if value is None:
        return None
    try:
        return event_time(value)
    except ValueError as error:
        raise ValidationFailed(
            str(error), [FieldError("occurredAt", "format", str(error))]
        ) from None


@dataclass(frozen=True, slots=True)
class AttributePatch:
    """v2 `attributes` as one patch, where each name came from, and the personal names."""

    values: dict[str, Any]
    paths: FieldPaths  # native `attributes.<name>` to where the request held it
    personal: frozenset[str]


def attribute_patch(given: UserAttributes | None) -> AttributePatch:
    """Flat (seed) and `custom` attributes, overridden by personal details of the same
    name ("these attributes will take priority over custom properties")."""
    if given is None:
        return AttributePatch({}, (), frozenset())
    values = dict(given.flat)
    where: dict[str, str] = {}
    for name, value in (given.custom or {}).items():
        where[name] = f"attributes.custom.{name}"
        if name in values:
            message = f"{name!r} is given both in attributes and in attributes.custom"
            raise ValidationFailed(message, [FieldError(where[name], "duplicate", message)])
        values[name] = value
    personal: set[str] = set()
    for (group, field), value in given.personal().items():
        name = PERSONAL_ATTRIBUTES[(group, field)]
        values[name] = value
        personal.add(name)
        where[name] = ".".join(part for part in ("attributes", group, field) if part)
    return AttributePatch(values, _exact_paths(where), frozenset(personal))


def _exact_paths(where: dict[str, str]) -> FieldPaths:
    return [
        (re.compile(re.escape(f"attributes.{name}") + "$"), path.replace("\\", "\\\\"))
        for name, path in where.items()
    ]


def limits(
    actor: Actor, settings: Settings, vendor_max: int | None, personal: frozenset[str] = frozenset()
) -> AttributeLimits:
    native = limits_for(actor, settings)
    values = replace(
        native.values,
        max_name_chars=MAX_NAME_CHARS,
        numeric_strings_are_numbers=True,
        nested=None,  # seeds 001 and 002: arrays and maps are refused (400)
    )
    max_definitions = vendor_setting(actor, "max_attributes", vendor_max)
    fixed = tuple((name, PERSONAL_TYPES.get(name, AttributeType.STRING)) for name in personal)
    return replace(
        native, values=values, max_definitions=max_definitions or UNLIMITED, fixed_types=fixed
    )


async def upsert(
    db: Database,
    actor: Actor,
    settings: Settings,
    ref: CustomerRef,
    write: CustomerWrite,
    attribute_limits: AttributeLimits,
    attributes_field: str,
    then: service.AfterWrite | None = None,
    paths: FieldPaths = (),
) -> WriteOutcome:
    options = service.WriteOptions(
        limits=attribute_limits,
        max_identifier_bytes=settings.max_identifier_bytes,
        attributes_field=attributes_field,
    )
    # Identifier conflicts are recorded in both customers' activity; Attentive still
    # accepts the rest of the write, so the answer stays a success.
    try:
        return await service.upsert(db, actor, ref, write, options, then)
    except AttriumError as error:
        raise vendor_fields(error, paths) from error


class Subscribing:
    """The opt-ins applied once the customer is written, and the state they left."""

    def __init__(self, actor: Actor, opt_ins: SubscriptionUpdate) -> None:
        self.actor = actor
        self.opt_ins = opt_ins
        self.state: SubscriptionState | None = None

    async def __call__(self, connection: AsyncConnection, customer: Customer) -> None:
        self.state = await subscriptions.apply(connection, self.actor, customer, self.opt_ins)
