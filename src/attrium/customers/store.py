"""SQL for customers and their identifiers."""

import functools
from collections.abc import Sequence
from datetime import datetime
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
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import ReturningUpdate

from attrium.core import sql
from attrium.core.database import dump_json, metadata
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


async def lock_by_ref(
    connection: AsyncConnection, workspace_id: str, ref: CustomerRef
) -> tuple[dict[str, Any], dict[str, str]] | None:
    """The customer holding `ref` and its custom identifiers, locked, in one statement.

    PostgreSQL re-checks the condition on the locked row, so the row returned still
    holds `ref` once locked; SQLite has one writer at a time anyway.
    """
    query = _locking_query(sql.backend_of(connection), ref.kind)
    parameters = {"workspace_id": workspace_id, "value": ref.value, "name": ref.name}
    row = (await connection.execute(query, parameters)).first()
    if row is None:
        return None
    found = dict(row._mapping)
    return found, found.pop("custom_identifiers") or {}


@functools.cache
def _locking_query(backend: str, kind: IdentifierKind) -> Select[Any]:
    """Built once per backend and kind: building a select() costs more than running it."""
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
    query = select(customers, custom).where(customers.c.workspace_id == bindparam("workspace_id"))
    if kind is IdentifierKind.CUSTOM:
        found_by = customer_identifiers.c
        query = query.join(
            customer_identifiers,
            and_(
                found_by.workspace_id == customers.c.workspace_id,
                found_by.profile_id == customers.c.profile_id,
            ),
        ).where(found_by.name == bindparam("name"), found_by.value == bindparam("value"))
    else:
        query = query.where(COLUMN_OF_KIND[kind] == bindparam("value"))
    return query.with_for_update(of=customers)


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


async def insert(connection: AsyncConnection, row: dict[str, Any]) -> None:
    await connection.execute(customers.insert().values(**row))


async def update_customer(
    connection: AsyncConnection,
    workspace_id: str,
    profile_id: str,
    identifier_columns: dict[IdentifierKind, str | None],
    attribute_patch: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """Set identifier columns and merge an attribute patch in one statement; the row written."""
    statement = _update_statement(
        sql.backend_of(connection), frozenset(identifier_columns), bool(attribute_patch)
    )
    parameters: dict[str, Any] = {
        "key_workspace_id": workspace_id,
        "key_profile_id": profile_id,
        "now": now,
        **{f"new_{kind.value}": value for kind, value in identifier_columns.items()},
    }
    if attribute_patch:
        parameters["patch"] = dump_json(attribute_patch)
    return dict((await connection.execute(statement, parameters)).one()._mapping)


@functools.cache
def _update_statement(
    backend: str, kinds: frozenset[IdentifierKind], has_patch: bool
) -> ReturningUpdate[Any]:
    values: dict[str, Any] = {
        COLUMN_OF_KIND[kind].name: bindparam(f"new_{kind.value}") for kind in kinds
    }
    if has_patch:
        values["attributes"] = sql.json_merge_parameter(backend, customers.c.attributes, "patch")
    values["updated_at"] = bindparam("now")
    return (
        update(customers)
        .where(
            customers.c.workspace_id == bindparam("key_workspace_id"),
            customers.c.profile_id == bindparam("key_profile_id"),
        )
        .values(**values)
        .returning(*customers.c)
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


async def purge_attribute(connection: AsyncConnection, workspace_id: str, name: str) -> int:
    """Remove one attribute from every customer of the workspace; how many held it."""
    result = await connection.execute(
        update(customers)
        .where(
            customers.c.workspace_id == workspace_id,
            sql.json_has_key(connection, customers.c.attributes, name),
        )
        .values(attributes=sql.json_merge(connection, customers.c.attributes, {name: None}))
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


async def insert_many(connection: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
        await connection.execute(customers.insert(), rows)


async def update_many(
    connection: AsyncConnection,
    workspace_id: str,
    changes: list[tuple[str, dict[IdentifierKind, str | None], dict[str, Any]]],
    now: datetime,
) -> None:
    """(profile id, identifier columns, attribute patch) each, merged in SQL, grouped by shape."""
    groups: dict[tuple[frozenset[IdentifierKind], bool], list[dict[str, Any]]] = {}
    for profile_id, columns, patch in changes:
        shape = (frozenset(columns), bool(patch))
        parameters: dict[str, Any] = {"key_profile_id": profile_id}
        parameters.update({f"new_{kind.value}": value for kind, value in columns.items()})
        if patch:
            parameters["patch"] = dump_json(patch)
        groups.setdefault(shape, []).append(parameters)
    for (kinds, has_patch), parameters_list in groups.items():
        values: dict[str, Any] = {
            COLUMN_OF_KIND[kind].name: bindparam(f"new_{kind.value}") for kind in kinds
        }
        if has_patch:
            values["attributes"] = sql.json_merge_bound(connection, customers.c.attributes, "patch")
        values["updated_at"] = now
        statement = (
            update(customers)
            .where(
                customers.c.workspace_id == workspace_id,
                customers.c.profile_id == bindparam("key_profile_id"),
            )
            .values(**values)
        )
        await connection.execute(statement, parameters_list)


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
