"""Personalisation: Liquid templates rendered with a customer's profile.

A template sees `customer`: its identifiers, `custom_identifiers` and `attributes` as
the API shows them (catalog defaults included). A missing attribute renders as empty,
or as the argument of the `default` filter; datetimes are ISO-8601 strings that the
`date` filter formats.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.auth.actor import Actor
from attrium.core import sql
from attrium.core.clock import isoformat, utcnow
from attrium.core.database import Database
from attrium.core.errors import (
    NotFound,
    refuse_nulls,
)
from attrium.core.ids import new_ulid
from attrium.core.names import check_name, name_taken
from attrium.core.pagination import Page, cursor_string, encode_cursor
from attrium.customers import service as customers
from attrium.customers.identity import CustomerRef
from attrium.customers.models import Customer
from attrium.segments import service as segments
from attrium.templates import rendering, store
from attrium.templates.rendering import template_value

MAX_PREVIEW = 50


@dataclass(frozen=True, slots=True)
class Template:
    template_id: str
    name: str
    description: str | None
    body: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Template":
        return cls(
            template_id=row["template_id"],
            name=row["name"],
            description=row["description"],
            body=row["body"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


@dataclass(frozen=True, slots=True)
class Rendered:
    customer: Customer
    text: str


def customer_context(customer: Customer) -> dict[str, Any]:
    """What a template may read about a customer: its attributes also as members of
    `customer` itself (`customer.address.city`), where the fields below win a clash."""
    attributes = {name: template_value(value) for name, value in customer.attributes.items()}
    return {
        "customer": {
            **attributes,
            "id": customer.id,
            "profile_id": customer.profile_id,
            "email": customer.email,
            "phone": customer.phone,
            "anonymous_id": customer.anonymous_id,
            "custom_identifiers": dict(customer.custom_identifiers),
            "attributes": attributes,
            "created_at": isoformat(customer.created_at),
            "updated_at": isoformat(customer.updated_at),
        }
    }


async def render(db: Database, actor: Actor, source: str, ref: CustomerRef) -> str:
    """`source` rendered for the customer `ref` names (422 for template errors)."""
    template = await rendering.parse(source)
    customer = await customers.get(db, actor, ref)
    return await rendering.render(template, customer_context(customer))


async def render_saved(db: Database, actor: Actor, template_id: str, ref: CustomerRef) -> str:
    saved = await get(db, actor, template_id)
    template = await rendering.parse(saved.body, "body")
    customer = await customers.get(db, actor, ref)
    return await rendering.render(template, customer_context(customer), "body")


async def preview(
    db: Database, actor: Actor, template_id: str, segment_id: str, limit: int
) -> list[Rendered]:
    """The saved template rendered for the segment's first `limit` members."""
    saved = await get(db, actor, template_id)
    template = await rendering.parse(saved.body, "body")
    page = await segments.members(db, actor, segment_id, None, min(limit, MAX_PREVIEW))
    contexts = [customer_context(customer) for customer in page.items]
    texts = await rendering.render_each(template, contexts, "body")
    return [Rendered(customer, text) for customer, text in zip(page.items, texts, strict=True)]


async def create(
    db: Database, actor: Actor, name: str, description: str | None, body: str
) -> Template:
    check_name("template", name)
    await rendering.parse(body, "body")
    now = utcnow()
    row = {
        "workspace_id": actor.workspace_id,
        "template_id": "tpl_" + new_ulid().lower(),
        "name": name,
        "description": description,
        "body": body,
        "created_at": now,
        "updated_at": now,
    }
    try:
        async with db.transaction() as connection:
            await store.insert_template(connection, row)
    except IntegrityError as error:
        if not sql.is_unique_violation(error):
            raise
        raise name_taken("template", name) from error
    return Template.from_row(row)


async def _read(connection: AsyncConnection, actor: Actor, template_id: str) -> Template:
    row = await store.read_template(connection, actor.workspace_id, template_id)
    if row is None:
        raise NotFound(f"no template {template_id}")
    return Template.from_row(row)


async def get(db: Database, actor: Actor, template_id: str) -> Template:
    async with db.reader() as connection:
        return await _read(connection, actor, template_id)


async def list_templates(
    db: Database, actor: Actor, cursor: str | None, limit: int
) -> Page[Template]:
    after = cursor_string(cursor)
    async with db.reader() as connection:
        rows = await store.template_page(connection, actor.workspace_id, after, limit + 1)
    found = [Template.from_row(row) for row in rows[:limit]]
    more = len(rows) > limit
    return Page(found, encode_cursor(found[-1].template_id) if more and found else None)


async def update(db: Database, actor: Actor, template_id: str, changes: dict[str, Any]) -> Template:
    """Change name, description or body; the fields given, no others."""
    refuse_nulls(changes, ("name", "body"))
    if "name" in changes:
        check_name("template", changes["name"])
    if "body" in changes:
        await rendering.parse(changes["body"], "body")
    try:
        async with db.transaction() as connection:
            await _read(connection, actor, template_id)
            values = {**changes, "updated_at": utcnow()}
            await store.update_template(connection, actor.workspace_id, template_id, values)
            return await _read(connection, actor, template_id)
    except IntegrityError as error:
        if not sql.is_unique_violation(error):
            raise
        raise name_taken("template", changes.get("name", "")) from error


async def delete(db: Database, actor: Actor, template_id: str) -> None:
    async with db.transaction() as connection:
        if not await store.delete_template(connection, actor.workspace_id, template_id):
            raise NotFound(f"no template {template_id}")
