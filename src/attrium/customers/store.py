"""SQL for customers and their identifiers."""

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Select,
    Table,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    text,
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
    # When each attribute's value is from ({name: time text}, customers.timing).
    Column("attribute_times", json_document(), nullable=True),
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
        sql.one_of(connection, customer_identifiers.c.profile_id, profile_ids),
    )
    for row in await connection.execute(query):
        found[row.profile_id][row.name] = row.value
    return found


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


async def purge_attribute(connection: AsyncConnection, workspace_id: str, name: str) -> int:
    """Remove one attribute from every customer of the workspace; how many held it."""
    result = await connection.execute(
        update(customers)
        .where(
            customers.c.workspace_id == workspace_id,
            sql.json_has_key(connection, customers.c.attributes, name),
        )
        .values(
            attributes=sql.json_merge(connection, customers.c.attributes, {name: None}),
            # A purged value is gone, its time too: an older write may set it again.
            attribute_times=sql.json_merge(connection, customers.c.attribute_times, {name: None}),
        )
    )
    return int(result.rowcount)


# Set-based statements for batches of writes (imports).


async def owners_by_column(
    connection: AsyncConnection, workspace_id: str, kind: IdentifierKind, values: list[str]
) -> dict[str, str]:
    """Which customer holds each of `values` of one column identifier."""
    if not values:
        return {}
    column = COLUMN_OF_KIND[kind]
    query = select(column, customers.c.profile_id).where(
        customers.c.workspace_id == workspace_id, sql.one_of(connection, column, values)
    )
    return {row[0]: row[1] for row in await connection.execute(query)}


async def owners_by_custom(
    connection: AsyncConnection, workspace_id: str, name: str, values: list[str]
) -> dict[str, str]:
    """Which customer holds each of `values` of the custom identifier `name`."""
    if not values:
        return {}
    query = select(customer_identifiers.c.value, customer_identifiers.c.profile_id).where(
        customer_identifiers.c.workspace_id == workspace_id,
        customer_identifiers.c.name == name,
        sql.one_of(connection, customer_identifiers.c.value, values),
    )
    return {row.value: row.profile_id for row in await connection.execute(query)}


async def read_many(
    connection: AsyncConnection, workspace_id: str, profile_ids: list[str], *, lock: bool = False
) -> dict[str, dict[str, Any]]:
    if not profile_ids:
        return {}
    query = select(customers).where(
        customers.c.workspace_id == workspace_id,
        sql.one_of(connection, customers.c.profile_id, profile_ids),
    )
    if lock:
        query = query.order_by(customers.c.profile_id).with_for_update()
    return {row.profile_id: dict(row._mapping) for row in await connection.execute(query)}


async def set_custom_identifiers(
    connection: AsyncConnection,
    workspace_id: str,
    changes: Sequence[tuple[str, str, str | None]],
    *,
    fresh: bool = False,
) -> None:
    """(profile id, name, value or None to remove) each; `fresh` customers have none to drop."""
    if not changes:
        return
    if not fresh:
        await connection.execute(
            delete(customer_identifiers).where(
                customer_identifiers.c.workspace_id == workspace_id,
                customer_identifiers.c.profile_id == bindparam("key_profile_id"),
                customer_identifiers.c.name == bindparam("key_name"),
            ),
            [{"key_profile_id": pid, "key_name": name} for pid, name, _ in changes],
        )
    rows = [
        {"workspace_id": workspace_id, "profile_id": pid, "name": name, "value": value}
        for pid, name, value in changes
        if value is not None
    ]
    if rows:
        await connection.execute(customer_identifiers.insert(), rows)


# The batch write path (customers.pipeline): a bounded number of statements per batch.

CustomerFound = tuple[dict[str, Any], dict[str, str]]  # a row and its custom identifiers


async def refresh_planner_statistics(connection: AsyncConnection) -> None:
    """PostgreSQL: `ANALYZE customers` (SQLite plans from its indexes alone)."""
    if sql.backend_of(connection) == "postgresql":
        await connection.execute(text("ANALYZE customers"))


async def lock_holders(
    connection: AsyncConnection, workspace_id: str, values_by_column: dict[str, list[str]]
) -> dict[str, CustomerFound]:
    """Every customer holding one of the values in that column (`external_id`, `email`,
    `phone`, `anonymous_id`, `profile_id`), locked in profile id order, with its custom
    identifiers, by profile id: one statement.

    PostgreSQL re-checks the condition on a row locked after a concurrent change, so a
    row returned still holds what it was found by.
    """
    wanted = {column: values for column, values in values_by_column.items() if values}
    if not wanted:
        return {}
    statement = _holders_statement(sql.backend_of(connection), frozenset(wanted))
    parameters: dict[str, Any] = {"workspace_id": workspace_id}
    parameters.update({f"in_{column}": sorted(set(values)) for column, values in wanted.items()})
    found: dict[str, CustomerFound] = {}
    result = await connection.execute(statement, parameters)
    columns = list(result.keys())  # once: a row's own mapping builds its keys each time
    for row in result:
        held = dict(zip(columns, row, strict=True))
        found[held["profile_id"]] = (held, held.pop("custom_identifiers") or {})
    if sql.backend_of(connection) != "postgresql":
        found = dict(sorted(found.items()))  # in profile id order, as PostgreSQL's
    return found


@functools.cache
def _holders_statement(backend: str, columns: frozenset[str]) -> Select[Any]:
    """Built once per backend and set of columns: building a select() costs more than running it."""
    held = customer_identifiers.alias("held")
    custom = (
        select(sql.json_object_agg(backend, held.c.name, held.c.value))
        .where(
            held.c.workspace_id == customers.c.workspace_id,
            held.c.profile_id == customers.c.profile_id,
        )
        .correlate(customers)
        .scalar_subquery()
        .label("custom_identifiers")
    )
    in_workspace = customers.c.workspace_id == bindparam("workspace_id")
    matches = [
        sql.one_of_parameter(backend, customers.c[column], f"in_{column}")
        for column in sorted(columns)
    ]
    if backend == "postgresql":
        return (
            select(customers, custom)
            .where(in_workspace, or_(*matches))
            .order_by(customers.c.profile_id)
            .with_for_update(of=customers)
        )
    # SQLite locks the whole database for a write transaction, so rows need no lock
    # order; and with an ORDER BY, or the workspace outside the OR, its planner walked
    # the workspace's primary key (every customer, ~2 ms per write at 100,000) instead
    # of searching each identifier's index. `lock_holders` sorts instead.
    return select(customers, custom).where(or_(*(and_(in_workspace, match) for match in matches)))
