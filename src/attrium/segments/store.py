"""SQL for segments: saved segments, and customers selected by a compiled predicate."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    FromClause,
    Subquery,
    Table,
    Text,
    UniqueConstraint,
    and_,
    case,
    delete,
    func,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.core.database import metadata
from attrium.core.types import UtcDateTime, json_document
from attrium.customers.store import customers
from attrium.history import store as history
from attrium.history.snapshots import snapshots
from attrium.segments.compiler import CustomerState, compile_predicate
from attrium.segments.json_sql import Condition, json_access_for
from attrium.segments.predicates import Predicate, attribute_names

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


async def count(
    connection: AsyncConnection, where: Condition, source: FromClause = customers
) -> int:
    """How many customers `where` selects (from `source`: `matching_at`'s for a past moment)."""
    query = select(func.count()).select_from(source).where(where)
    return int((await connection.execute(query)).scalar_one())


async def members(
    connection: AsyncConnection,
    where: Condition,
    after_profile_id: str | None,
    limit: int,
    source: FromClause = customers,
) -> list[dict[str, Any]]:
    query = select(*customers.columns).select_from(source).where(where)
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


def past_state(
    connection: AsyncConnection, workspace_id: str, moment: datetime, past: Subquery
) -> CustomerState:
    """The customer as the activity log says it was at `moment` (history.store), given
    `past`: `history.past_patches` outer-joined to the customers."""
    return CustomerState(
        attributes=json_access_for(connection.dialect.name).merge_patch(
            customers.c.attributes, past.c.patch
        ),
        holds_identifier={
            name: history.held_at(
                connection, workspace_id, name, moment, customers.c.profile_id, column.is_not(None)
            )
            for name, column in IDENTIFIER_COLUMNS.items()
        },
        now=moment,
    )


def _snapshot_state(
    connection: AsyncConnection,
    workspace_id: str,
    moment: datetime,
    past: Subquery | None,
    snapshot_at: datetime,
) -> CustomerState:
    """`past_state` walking back from the snapshot taken at `snapshot_at` instead
    (`past` None: for a customer without attribute changes since `moment`)."""
    held = {"email": snapshots.c.email_held, "phone": snapshots.c.phone_held}
    attributes: Any = snapshots.c.attributes
    if past is not None:
        attributes = json_access_for(connection.dialect.name).merge_patch(attributes, past.c.patch)
    return CustomerState(
        attributes=attributes,
        holds_identifier={
            name: history.held_at(
                connection,
                workspace_id,
                name,
                moment,
                snapshots.c.profile_id,
                held[name].is_(True),
                until=snapshot_at,
            )
            for name in IDENTIFIER_COLUMNS
        },
        now=moment,
    )


def _member_at(
    connection: AsyncConnection,
    workspace_id: str,
    predicate: Predicate,
    moment: datetime,
    past: Subquery,
) -> Condition:
    """The customer existed at `moment` and satisfied `predicate` then."""
    state = past_state(connection, workspace_id, moment, past)
    return and_(
        customers.c.created_at <= moment,
        compile_predicate(connection.dialect.name, predicate, state),
    )


def matching_at(
    connection: AsyncConnection,
    workspace_id: str,
    predicate: Predicate,
    moment: datetime,
    snapshot_at: datetime | None = None,
) -> tuple[FromClause, Condition]:
    """What to select customers from, and the WHERE clause selecting those that
    satisfied `predicate` at `moment`: walking back from now, or from the snapshot
    taken at `snapshot_at` (history.snapshots), the first at or after `moment`."""
    names = attribute_names(predicate)
    past = history.past_patches(connection, workspace_id, moment, names=names, until=snapshot_at)
    if snapshot_at is None:
        source = customers.outerjoin(past, past.c.profile_id == customers.c.profile_id)
        where = and_(
            customers.c.workspace_id == workspace_id,
            _member_at(connection, workspace_id, predicate, moment, past),
        )
        return source, where
    # Snapshot columns only in the condition: a count reads no customer row (the outer
    # join to them, on their key, is dropped by PostgreSQL when no column is selected).
    rows = snapshots.outerjoin(
        customers,
        and_(
            customers.c.workspace_id == snapshots.c.workspace_id,
            customers.c.profile_id == snapshots.c.profile_id,
        ),
    ).outerjoin(past, past.c.profile_id == snapshots.c.profile_id)
    backend = connection.dialect.name
    unchanged = _snapshot_state(connection, workspace_id, moment, None, snapshot_at)
    changed = _snapshot_state(connection, workspace_id, moment, past, snapshot_at)
    # Most customers changed none of the predicate's attributes since `moment`: they
    # are judged on the stored document, without building a patched one per condition.
    where = and_(
        snapshots.c.workspace_id == workspace_id,
        snapshots.c.taken_at == snapshot_at,
        snapshots.c.created_at <= moment,
        or_(
            and_(past.c.profile_id.is_(None), compile_predicate(backend, predicate, unchanged)),
            and_(past.c.profile_id.is_not(None), compile_predicate(backend, predicate, changed)),
        ),
    )
    return rows, where


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
    past = history.past_patches(connection, workspace_id, since, names=attribute_names(predicate))
    member_now = compile_predicate(backend, predicate, current_state(as_of))
    member_then = _member_at(connection, workspace_id, predicate, since, past)
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
