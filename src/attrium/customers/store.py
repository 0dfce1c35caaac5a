"""SQL for customers and their identifiers."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Table,
    Text,
    UniqueConstraint,
    and_,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.core import sql
from attrium.core.database import metadata
from attrium.core.types import UtcDateTime, json_document
from attrium.customers.identity import CustomerRef, IdentifierKind

customers = Table(
    "customers",
    metadata,
    Column(
        "workspace_id",
        Text,
        ForeignKey("workspaces.workspace_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("profile_id", Text, primary_key=True),
    Column("external_id", Text, nullable=True),
    Column("email", Text, nullable=True),
    Column("phone", Text, nullable=True),
    Column("anonymous_id", Text, nullable=True),
    Column("attributes", json_document(), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("workspace_id", "external_id"),
    UniqueConstraint("workspace_id", "email"),
    UniqueConstraint("workspace_id", "phone"),
    UniqueConstraint("workspace_id", "anonymous_id"),
)

customer_identifiers = Table(
    "customer_identifiers",
    metadata,
    Column("workspace_id", Text, primary_key=True),
    Column("name", Text, primary_key=True),
    Column("value", Text, primary_key=True),
    Column("profile_id", Text, nullable=False),
    ForeignKeyConstraint(
        ["workspace_id", "profile_id"],
        ["customers.workspace_id", "customers.profile_id"],
        ondelete="CASCADE",
    ),
    Index("ix_customer_identifiers_profile", "workspace_id", "profile_id"),
)

COLUMN_OF_KIND = {
    IdentifierKind.ID: customers.c.external_id,
    IdentifierKind.EMAIL: customers.c.email,
    IdentifierKind.PHONE: customers.c.phone,
    IdentifierKind.ANONYMOUS_ID: customers.c.anonymous_id,
    IdentifierKind.PROFILE: customers.c.profile_id,
}


def _customer_key(workspace_id: str, profile_id: str) -> Any:
    return and_(customers.c.workspace_id == workspace_id, customers.c.profile_id == profile_id)


async def owner_of(connection: AsyncConnection, workspace_id: str, ref: CustomerRef) -> str | None:
    """The profile id of the customer holding `ref`, if any."""
    if ref.kind is IdentifierKind.CUSTOM:
        query = select(customer_identifiers.c.profile_id).where(
            customer_identifiers.c.workspace_id == workspace_id,
            customer_identifiers.c.name == ref.name,
            customer_identifiers.c.value == ref.value,
        )
    else:
        query = select(customers.c.profile_id).where(
            customers.c.workspace_id == workspace_id, COLUMN_OF_KIND[ref.kind] == ref.value
        )
    return (await connection.execute(query)).scalar_one_or_none()


async def read(
    connection: AsyncConnection, workspace_id: str, profile_id: str, *, lock: bool = False
) -> dict[str, Any] | None:
    query = select(customers).where(_customer_key(workspace_id, profile_id))
    if lock:
        query = query.with_for_update()
    row = (await connection.execute(query)).first()
    return dict(row._mapping) if row else None


async def custom_identifiers_of(
    connection: AsyncConnection, workspace_id: str, profile_ids: list[str]
) -> dict[str, dict[str, str]]:
    """Each customer's custom identifiers, by profile id."""
    found: dict[str, dict[str, str]] = {profile_id: {} for profile_id in profile_ids}
    if not profile_ids:
        return found
    query = select(customer_identifiers).where(
        customer_identifiers.c.workspace_id == workspace_id,
        customer_identifiers.c.profile_id.in_(profile_ids),
    )
    for row in await connection.execute(query):
        found[row.profile_id][row.name] = row.value
    return found


async def insert(connection: AsyncConnection, row: dict[str, Any]) -> None:
    await connection.execute(customers.insert().values(**row))


async def update_customer(
    connection: AsyncConnection,
    workspace_id: str,
    profile_id: str,
    identifier_columns: dict[IdentifierKind, str | None],
    attribute_patch: dict[str, Any],
    now: datetime,
) -> None:
    """Set identifier columns and merge an attribute patch in one statement."""
    values: dict[str, Any] = {
        COLUMN_OF_KIND[kind].name: value for kind, value in identifier_columns.items()
    }
    if attribute_patch:
        values["attributes"] = sql.json_merge(connection, customers.c.attributes, attribute_patch)
    values["updated_at"] = now
    await connection.execute(
        update(customers).where(_customer_key(workspace_id, profile_id)).values(**values)
    )


async def set_custom_identifier(
    connection: AsyncConnection, workspace_id: str, profile_id: str, name: str, value: str | None
) -> None:
    await connection.execute(
        delete(customer_identifiers).where(
            customer_identifiers.c.workspace_id == workspace_id,
            customer_identifiers.c.profile_id == profile_id,
            customer_identifiers.c.name == name,
        )
    )
    if value is not None:
        await connection.execute(
            customer_identifiers.insert().values(
                workspace_id=workspace_id, profile_id=profile_id, name=name, value=value
            )
        )


async def delete_customer(connection: AsyncConnection, workspace_id: str, profile_id: str) -> None:
    await connection.execute(
        delete(customer_identifiers).where(
            customer_identifiers.c.workspace_id == workspace_id,
            customer_identifiers.c.profile_id == profile_id,
        )
    )
    await connection.execute(delete(customers).where(_customer_key(workspace_id, profile_id)))


async def page(
    connection: AsyncConnection, workspace_id: str, after_profile_id: str | None, limit: int
) -> list[dict[str, Any]]:
    query = select(customers).where(customers.c.workspace_id == workspace_id)
    if after_profile_id is not None:
        query = query.where(customers.c.profile_id > after_profile_id)
    query = query.order_by(customers.c.profile_id).limit(limit)
    return [dict(row._mapping) for row in await connection.execute(query)]


async def count_with_attribute(connection: AsyncConnection, workspace_id: str, name: str) -> int:
    query = (
        select(func.count())
        .select_from(customers)
        .where(
            customers.c.workspace_id == workspace_id,
            sql.json_has_key(connection, customers.c.attributes, name),
        )
    )
    return int((await connection.execute(query)).scalar_one())


async def purge_attribute(connection: AsyncConnection, workspace_id: str, name: str) -> None:
    """Remove one attribute from every customer of the workspace."""
    await connection.execute(
        update(customers)
        .where(
            customers.c.workspace_id == workspace_id,
            sql.json_has_key(connection, customers.c.attributes, name),
        )
        .values(attributes=sql.json_merge(connection, customers.c.attributes, {name: None}))
    )
