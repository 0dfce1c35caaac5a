"""SQL for segments: saved segments, and customers selected by a compiled predicate."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Table,
    Text,
    UniqueConstraint,
    and_,
    case,
    delete,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity.store import CUSTOMER_CHANGE_TYPES, activity
from attrium.core.database import metadata
from attrium.core.types import UtcDateTime, json_document
from attrium.customers.store import customers
from attrium.segments.compiler import CustomerState, compile_predicate
from attrium.segments.json_sql import Condition, json_access_for
from attrium.segments.predicates import Predicate

segments = Table(
    "segments",
    metadata,
    Column(
        "workspace_id",
        Text,
        ForeignKey("workspaces.workspace_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("segment_id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=True),
    Column("predicate", json_document(), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("workspace_id", "name"),
)


IDENTIFIER_COLUMNS = {"email": customers.c.email, "phone": customers.c.phone}


def current_state(now: datetime) -> CustomerState:
    return CustomerState(
        attributes=customers.c.attributes,
        holds_identifier={name: column.is_not(None) for name, column in IDENTIFIER_COLUMNS.items()},
        now=now,
    )


def matching(
    connection: AsyncConnection, workspace_id: str, predicate: Predicate, now: datetime
) -> Condition:
    """The WHERE clause selecting the workspace's customers that satisfy `predicate`."""
    condition = compile_predicate(connection.dialect.name, predicate, current_state(now))
    return and_(customers.c.workspace_id == workspace_id, condition)


async def count(connection: AsyncConnection, where: Condition) -> int:
    query = select(func.count()).select_from(customers).where(where)
    return int((await connection.execute(query)).scalar_one())


async def members(
    connection: AsyncConnection, where: Condition, after_profile_id: str | None, limit: int
) -> list[dict[str, Any]]:
    query = select(customers).where(where)
    if after_profile_id is not None:
        query = query.where(customers.c.profile_id > after_profile_id)
    query = query.order_by(customers.c.profile_id).limit(limit)
    return [dict(row._mapping) for row in await connection.execute(query)]


def _segment_key(workspace_id: str, segment_id: str) -> Condition:
    return and_(segments.c.workspace_id == workspace_id, segments.c.segment_id == segment_id)


async def insert_segment(connection: AsyncConnection, row: dict[str, Any]) -> None:
    await connection.execute(segments.insert().values(**row))


async def read_segment(
    connection: AsyncConnection, workspace_id: str, segment_id: str
) -> dict[str, Any] | None:
    row = (
        await connection.execute(select(segments).where(_segment_key(workspace_id, segment_id)))
    ).first()
    return dict(row._mapping) if row else None


async def segment_named(
    connection: AsyncConnection, workspace_id: str, name: str
) -> dict[str, Any] | None:
    query = select(segments).where(segments.c.workspace_id == workspace_id, segments.c.name == name)
    row = (await connection.execute(query)).first()
    return dict(row._mapping) if row else None


async def segment_page(
    connection: AsyncConnection, workspace_id: str, after_segment_id: str | None, limit: int
) -> list[dict[str, Any]]:
    query = select(segments).where(segments.c.workspace_id == workspace_id)
    if after_segment_id is not None:
        query = query.where(segments.c.segment_id > after_segment_id)
    query = query.order_by(segments.c.segment_id).limit(limit)
    return [dict(row._mapping) for row in await connection.execute(query)]


async def update_segment(
    connection: AsyncConnection, workspace_id: str, segment_id: str, values: dict[str, Any]
) -> None:
    await connection.execute(
        update(segments).where(_segment_key(workspace_id, segment_id)).values(**values)
    )


async def delete_segment(connection: AsyncConnection, workspace_id: str, segment_id: str) -> bool:
    result = await connection.execute(
        delete(segments).where(_segment_key(workspace_id, segment_id))
    )
    return bool(result.rowcount)


def _first_attribute_changes(
    connection: AsyncConnection, workspace_id: str, since: datetime
) -> Any:
    """Per customer, the attributes as they were at `since`, as a patch onto today's.

    The first entry after `since` that changed an attribute holds its value at `since`
    as that change's "old" (null: it had none); merging those onto today's attributes
    gives the attributes at `since`.
    """
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        changed = activity.c.changes.op("->", return_type=JSONB)(literal("attributes", Text))
        pairs = func.jsonb_each(changed).table_valued("key", "value").lateral("pairs")
        old_value = pairs.c.value.op("->", return_type=JSONB)(literal("old", Text))
    else:
        pairs = func.json_each(activity.c.changes, "$.attributes").table_valued("key", "value")
        pairs = pairs.alias("pairs")
        old_value = pairs.c.value.op("->", return_type=Text)(literal("$.old", Text))
    rank = func.row_number().over(
        partition_by=(activity.c.profile_id, pairs.c.key),
        order_by=(activity.c.created_at, activity.c.activity_id),
    )
    changes = (
        select(activity.c.profile_id, pairs.c.key, old_value.label("old_value"), rank.label("rank"))
        .select_from(activity.join(pairs, true()))
        .where(
            activity.c.workspace_id == workspace_id,
            activity.c.type.in_(CUSTOMER_CHANGE_TYPES),
            activity.c.created_at > since,
        )
        .subquery("changes")
    )
    json_access = json_access_for(connection.dialect.name)
    patch = json_access.object_agg(changes.c.key, changes.c.old_value)
    return (
        select(changes.c.profile_id, patch.label("patch"))
        .where(changes.c.rank == 1)
        .group_by(changes.c.profile_id)
        .subquery("past_attributes")
    )


def _held_at(
    connection: AsyncConnection, workspace_id: str, name: str, since: datetime
) -> Condition:
    """Whether the customer held identifier `name` at `since`, from its first later change."""
    if connection.dialect.name == "postgresql":
        identifier = activity.c.changes.op("#>", return_type=JSONB)(
            literal(["identifiers", name], postgresql.ARRAY(Text))
        )
        changed = identifier.is_not(None)
        old = identifier.op("->", return_type=JSONB)(literal("old", Text))
        held_before = func.jsonb_typeof(old) != "null"
    else:
        changed = func.json_type(activity.c.changes, f"$.identifiers.{name}").is_not(None)
        held_before = func.json_type(activity.c.changes, f"$.identifiers.{name}.old") != "null"
    first_old_value_held = (
        select(case((held_before, 1), else_=0))
        .where(
            activity.c.workspace_id == workspace_id,
            activity.c.profile_id == customers.c.profile_id,
            activity.c.type.in_(CUSTOMER_CHANGE_TYPES),
            activity.c.created_at > since,
            changed,
        )
        .order_by(activity.c.created_at, activity.c.activity_id)
        .limit(1)
        .scalar_subquery()
    )
    held_now = case((IDENTIFIER_COLUMNS[name].is_not(None), 1), else_=0)
    return func.coalesce(first_old_value_held, held_now) == 1


async def membership_changes(
    connection: AsyncConnection,
    workspace_id: str,
    predicate: Predicate,
    since: datetime,
    as_of: datetime,
    after_profile_id: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Customers whose membership differs between `since` and `as_of`, in one query.

    Membership at `since` is judged on attributes and identifiers rebuilt from the
    activity log; a customer created after `since` was no member then.
    """
    backend = connection.dialect.name
    past = _first_attribute_changes(connection, workspace_id, since)
    past_state = CustomerState(
        attributes=json_access_for(backend).merge_patch(customers.c.attributes, past.c.patch),
        holds_identifier={
            name: _held_at(connection, workspace_id, name, since) for name in IDENTIFIER_COLUMNS
        },
        now=since,
    )
    member_now = compile_predicate(backend, predicate, current_state(as_of))
    member_then = and_(
        customers.c.created_at <= since, compile_predicate(backend, predicate, past_state)
    )
    query = (
        select(
            customers.c.profile_id,
            customers.c.external_id,
            case((member_now, "entered"), else_="left").label("change"),
        )
        .select_from(customers.outerjoin(past, past.c.profile_id == customers.c.profile_id))
        .where(
            customers.c.workspace_id == workspace_id,
            or_(and_(member_now, not_(member_then)), and_(not_(member_now), member_then)),
        )
    )
    if after_profile_id is not None:
        query = query.where(customers.c.profile_id > after_profile_id)
    query = query.order_by(customers.c.profile_id).limit(limit)
    return [dict(row._mapping) for row in await connection.execute(query)]
