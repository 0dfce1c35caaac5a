"""SQL for the activity log."""

from typing import Any

import orjson
from sqlalchemy import (
    Column,
    ColumnElement,
    Index,
    Select,
    Table,
    Text,
    and_,
    case,
    column,
    delete,
    func,
    literal_column,
    select,
    table,
    text,
    type_coerce,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.core import sql
from attrium.core.database import dump_json, metadata
from attrium.core.jsonio import all_storable, storable
from attrium.core.types import NameList, UtcDateTime, json_document

# No foreign key to workspaces: the log is the most written table, PostgreSQL would
# check the key with a query per entry, and workspaces are never deleted (0010).
activity = Table(
    "activity",
    metadata,
    Column("workspace_id", Text, primary_key=True),
    Column("activity_id", Text, primary_key=True),
    Column("profile_id", Text, nullable=True),
    Column("customer_ref", Text, nullable=True),
    Column("type", Text, nullable=False),
    Column("attribute", Text, nullable=True),
    Column("old_value", json_document(none_as_null=True), nullable=True),
    Column("new_value", json_document(none_as_null=True), nullable=True),
    Column("reason", Text, nullable=True),
    Column("details", json_document(none_as_null=True), nullable=True),
    Column("key_id", Text, nullable=True),
    Column("source", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # A customer write's entry: {"attributes": {name: {"old", "new"}}, "identifiers": {...}}.
    Column("changes", json_document(none_as_null=True), nullable=True),
    # Every attribute the entry concerns (the keys of changes.attributes, or `attribute`),
    # for "entries about attribute X". Indexed per backend by migration 0010 (not declared
    # here, as the two differ): a GIN index on PostgreSQL; on SQLite a side table
    # `activity_attributes (workspace_id, attribute, activity_id)` kept by triggers.
    Column("attributes", NameList(), nullable=True),
    # A merge's moved entry: the profile it was recorded on (`reassign`); null: this one.
    Column("merged_from", Text, nullable=True),
    Index("ix_activity_profile", "workspace_id", "profile_id", "activity_id"),
    # Refused writes by the customer they named, for erasure (only they have one).
    Index(
        "ix_activity_customer_ref",
        "workspace_id",
        "customer_ref",
        postgresql_where=text("customer_ref IS NOT NULL"),
        sqlite_where=text("customer_ref IS NOT NULL"),
    ),
)

# The SQLite side table that indexes `activity.attributes` (see above).
activity_attributes = table(
    "activity_attributes", column("workspace_id"), column("attribute"), column("activity_id")
)


# An entry as a tuple in the table's column order: an import batch writes thousands,
# and tuples cost a fraction of dicts to build and to hand to COPY.
EntryRecord = tuple[Any, ...]
COLUMN_NAMES = (
    "workspace_id",
    "activity_id",
    "profile_id",
    "customer_ref",
    "type",
    "attribute",
    "old_value",
    "new_value",
    "reason",
    "details",
    "key_id",
    "source",
    "created_at",
    "changes",
    "attributes",
)
# Every column but `merged_from`, which only `reassign` sets: inserts never write it.
if tuple(activity.columns.keys())[: len(COLUMN_NAMES)] != COLUMN_NAMES:
    raise RuntimeError("activity.COLUMN_NAMES must list the activity table's columns in order")

_TYPES = {"created_at": "timestamptz", "attributes": "text[]"}

# From this many rows on, PostgreSQL gets them by COPY (batches of imports).
COPY_FROM_ROWS = 200


async def insert_entries(connection: AsyncConnection, records: list[EntryRecord]) -> None:
    if not records:
        return
    if sql.backend_of(connection) != "postgresql":
        records = storable_records(records)
        await connection.execute(
            activity.insert(), [dict(zip(COLUMN_NAMES, record, strict=True)) for record in records]
        )
    elif len(records) >= COPY_FROM_ROWS:
        records = storable_records(records)
        await sql.copy_records(connection, activity, COLUMN_NAMES, _as_copied(records))
    else:
        await connection.execute(_POSTGRES_INSERT, {"entries": postgres_parameter(records)})


def storable_records(records: list[EntryRecord]) -> list[EntryRecord]:
    """The records with what PostgreSQL cannot store (NUL) replaced."""
    if all_storable(records):
        return records
    return [tuple(storable(list(record))) for record in records]


_JSON_COLUMNS = frozenset({"old_value", "new_value", "details", "changes"})
_RECORD_TYPES = ", ".join(
    f"{name} {'jsonb' if name in _JSON_COLUMNS else _TYPES.get(name, 'text')}"
    for name in COLUMN_NAMES
)


def postgres_insert(parameter: str = "entries") -> str:
    """PostgreSQL: one INSERT of every entry, given as one JSON document
    (`postgres_parameter`): one statement text whatever the number of entries, which a
    batch's write statement also takes as one of its parts."""
    return f"""
    INSERT INTO activity ({", ".join(COLUMN_NAMES)})
    SELECT * FROM json_to_recordset(CAST(:{parameter} AS json)) AS e({_RECORD_TYPES})
    """


def postgres_parameter(records: list[EntryRecord]) -> str:
    """The JSON document `postgres_insert` takes."""
    # Serialised once: what PostgreSQL cannot store (NUL, lone surrogates) is rare, and
    # shows in the serialisation itself (orjson escapes NUL, refuses a lone surrogate).
    try:
        document = orjson.dumps(_as_rows(records))
    except orjson.JSONEncodeError:
        document = b"\\u0000"
    if b"\\u0000" in document:
        document = orjson.dumps(_as_rows(storable_records(records)))
    return document.decode()


def _as_rows(records: list[EntryRecord]) -> list[dict[str, Any]]:
    return [dict(zip(COLUMN_NAMES, record, strict=True)) for record in records]


_POSTGRES_INSERT = text(postgres_insert())


def _as_copied(records: list[EntryRecord]) -> list[EntryRecord]:
    """The records as COPY takes them: JSON documents as their text, NULL for None."""
    # One comprehension with the columns spelled out: an import copies ten rows a customer.
    return [
        (
            workspace_id,
            activity_id,
            profile_id,
            ref,
            kind,
            name,
            None if old is None else dump_json(old),
            None if new is None else dump_json(new),
            reason,
            None if details is None else dump_json(details),
            key_id,
            source,
            created_at,
            None if changes is None else dump_json(changes),
            names,
        )
        for (
            workspace_id,
            activity_id,
            profile_id,
            ref,
            kind,
            name,
            old,
            new,
            reason,
            details,
            key_id,
            source,
            created_at,
            changes,
            names,
        ) in records
    ]


def newest_first(workspace_id: str, before_id: str | None, limit: int) -> Select[Any]:
    query = select(activity).where(activity.c.workspace_id == workspace_id)
    if before_id is not None:
        query = query.where(activity.c.activity_id < before_id)
    return query.order_by(activity.c.activity_id.desc()).limit(limit)


async def fetch(connection: AsyncConnection, query: Select[Any]) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in await connection.execute(query)]


async def erase_customer(
    connection: AsyncConnection, workspace_id: str, profile_id: str, refs: list[str]
) -> dict[str, int]:
    """Delete a customer's entries, and refused writes naming one of its identifiers.

    Returns how many entries of each type there were: the only trace that is kept.
    """
    # One condition at a time: each seeks its own index, where their OR read every
    # entry of the workspace (SQLite does not combine the two indexes).
    conditions = [activity.c.profile_id == profile_id]
    if refs:
        conditions.append(activity.c.customer_ref.in_(refs))
    erased: dict[str, int] = {}
    for mine in conditions:
        condition = and_(activity.c.workspace_id == workspace_id, mine)
        counted = await connection.execute(
            select(activity.c.type, func.count()).where(condition).group_by(activity.c.type)
        )
        for entry_type, count in counted:
            erased[entry_type] = erased.get(entry_type, 0) + int(count)
        await connection.execute(delete(activity).where(condition))
    return erased


async def reassign(
    connection: AsyncConnection, workspace_id: str, from_profile_id: str, to_profile_id: str
) -> int:
    """Move one customer's entries to another (a merge); returns how many moved.

    Each keeps, in `merged_from`, the profile it was first recorded on: as-of reads
    rebuild a customer from its own entries (activity.history)."""
    result = await connection.execute(
        activity.update()
        .where(activity.c.workspace_id == workspace_id, activity.c.profile_id == from_profile_id)
        .values(
            profile_id=to_profile_id,
            merged_from=func.coalesce(activity.c.merged_from, from_profile_id),
        )
    )
    return int(result.rowcount)


# The entry types that record a change to a customer's attributes or identifiers.
CUSTOMER_CHANGE_TYPES = (
    "customer_created",
    "customer_updated",
    "customer_merged",
    "customer_merge_undone",
)


def concerns(connection: AsyncConnection, workspace_id: str, name: str) -> ColumnElement[bool]:
    """The entry concerns attribute `name` (answered by the backend's index, see the table)."""
    if sql.backend_of(connection) == "postgresql":
        names = type_coerce(activity.c.attributes, postgresql.ARRAY(Text))
        return names.contains([name])
    side = activity_attributes.c
    return activity.c.activity_id.in_(
        select(side.activity_id).where(side.workspace_id == workspace_id, side.attribute == name)
    )


# Event entries (`events.service`): the event's name in `details`, its time in
# `created_at`. Migration 0011_devices indexes (workspace_id, profile_id, name,
# created_at) of these entries alone; the index is used only when a query spells the
# type and the name's expression as the index does, so both are literals, not parameters.
EVENT_TYPE = "event"
IS_EVENT = activity.c.type == literal_column(f"'{EVENT_TYPE}'")


def event_name(backend: str) -> ColumnElement[Any]:
    """An event entry's name, as its index spells it."""
    if backend == "postgresql":
        return activity.c.details.op("->>", return_type=Text)(literal_column("'name'"))
    return func.json_extract(activity.c.details, literal_column("'$.name'"), type_=Text)


async def adopt_anonymous_events(
    connection: AsyncConnection, workspace_id: str, holders: dict[str, str]
) -> None:
    """Unattached events naming an anonymous id become the customer's that now holds it
    (`holders`: anonymous id reference → profile id). Refused writes naming the id stay
    unattached: they were nobody's write."""
    if not holders:
        return
    await connection.execute(
        activity.update()
        .where(
            activity.c.workspace_id == workspace_id,
            activity.c.customer_ref.in_(list(holders)),
            activity.c.profile_id.is_(None),
            IS_EVENT,
        )
        .values(profile_id=case(holders, value=activity.c.customer_ref))
    )
