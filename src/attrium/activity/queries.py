"""Queries over the activity log: filtered history, and attribute changes in a window."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity import service as activity
from attrium.activity.service import ActivityType
from attrium.activity.store import (
    CUSTOMER_CHANGE_TYPES,
    IS_EVENT,
    concerns,
    event_name,
    fetch,
    newest_first,
)
from attrium.activity.store import activity as activity_table
from attrium.auth.actor import Actor
from attrium.core import sql
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.errors import FieldError, NotFound, ValidationFailed
from attrium.core.pagination import Page, cursor_string, encode_cursor
from attrium.customers import store as customer_store
from attrium.customers.identity import CustomerRef

DEFAULT_WINDOW = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    customer: CustomerRef | None = None
    attribute: str | None = None
    event: str | None = None  # an event's name: its `event` entries only
    types: tuple[str, ...] = ()
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


@dataclass(frozen=True, slots=True)
class AttributeChange:
    """One customer whose attribute changed in a window, with its value around it."""

    profile_id: str
    customer_id: str | None  # the external id
    before: Any  # None: the customer had no value before the window
    after: Any  # None: the customer has no value at the end of the window
    changes: int
    first_changed_at: datetime
    last_changed_at: datetime


def parse_types(text: str | None) -> tuple[str, ...]:
    """`type=a,b` as a tuple of known activity types; 422 naming `type` otherwise."""
    if not text:
        return ()
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    known = {member.value for member in ActivityType}
    unknown = [name for name in names if name not in known]
    if unknown:
        message = f"unknown activity types {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        raise ValidationFailed(message, [FieldError("type", "activity_type.unknown", message)])
    return names


def _check_window(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and since >= until:
        message = "since must be earlier than until"
        raise ValidationFailed(message, [FieldError("since", "window.order", message)])


async def search(
    db: Database, actor: Actor, wanted: ActivityFilter, cursor: str | None, limit: int
) -> Page[dict[str, Any]]:
    """Entries matching every given filter, newest first."""
    _check_window(wanted.since, wanted.until)
    before_id = cursor_string(cursor)
    query = newest_first(actor.workspace_id, before_id, limit + 1)
    async with db.reader() as connection:
        if wanted.customer is not None:
            profile_id = await customer_store.owner_of(
                connection, actor.workspace_id, wanted.customer
            )
            if profile_id is None:
                raise NotFound(f"no customer {wanted.customer}")
            query = query.where(activity_table.c.profile_id == profile_id)
        if wanted.attribute is not None:
            query = query.where(concerns(connection, actor.workspace_id, wanted.attribute))
        if wanted.event is not None:
            query = query.where(IS_EVENT, event_name(sql.backend_of(connection)) == wanted.event)
        if wanted.types:
            query = query.where(activity_table.c.type.in_(wanted.types))
        if wanted.since is not None:
            query = query.where(activity_table.c.created_at >= wanted.since)
        if wanted.until is not None:
            query = query.where(activity_table.c.created_at < wanted.until)
        rows = await fetch(connection, query)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1]["activity_id"]) if more and rows else None
    return Page([activity.as_public(row) for row in rows], next_cursor)


async def attribute_changes(
    db: Database,
    actor: Actor,
    name: str,
    since: datetime | None,
    until: datetime | None,
    cursor: str | None,
    limit: int,
) -> Page[AttributeChange]:
    """Customers whose attribute `name` ends the window with another value than it began.

    The window defaults to the day before `until` (now by default). A customer whose
    value changed and came back within the window is not listed.
    """
    until = until or utcnow()
    since = since or until - DEFAULT_WINDOW
    _check_window(since, until)
    after_profile = cursor_string(cursor)
    table = activity_table
    async with db.reader() as connection:
        in_window = and_(
            table.c.workspace_id == actor.workspace_id,
            concerns(connection, actor.workspace_id, name),
            table.c.type.in_(CUSTOMER_CHANGE_TYPES),
            table.c.profile_id.is_not(None),
            table.c.created_at >= since,
            table.c.created_at < until,
        )
        if after_profile is not None:
            in_window = and_(in_window, table.c.profile_id > after_profile)
        grouped = (
            select(
                table.c.profile_id,
                func.min(table.c.activity_id).label("first_id"),
                func.max(table.c.activity_id).label("last_id"),
                func.count().label("changes"),
            )
            .where(in_window)
            .group_by(table.c.profile_id)
            .order_by(table.c.profile_id)
            .limit(limit + 1)
        )
        groups = [dict(row._mapping) for row in await connection.execute(grouped)]
        more = len(groups) > limit
        groups = groups[:limit]
        ends = await _entries_by_id(connection, actor, groups)
        external = await _external_ids(connection, actor, [g["profile_id"] for g in groups])
    items = [
        AttributeChange(
            profile_id=group["profile_id"],
            customer_id=external.get(group["profile_id"]),
            before=_attribute_change(ends[group["first_id"]], name)["old"],
            after=_attribute_change(ends[group["last_id"]], name)["new"],
            changes=int(group["changes"]),
            first_changed_at=ends[group["first_id"]]["created_at"],
            last_changed_at=ends[group["last_id"]]["created_at"],
        )
        for group in groups
    ]
    changed = [item for item in items if not _same(item.before, item.after)]
    next_cursor = encode_cursor(groups[-1]["profile_id"]) if more and groups else None
    return Page(changed, next_cursor)


def _attribute_change(entry: dict[str, Any], name: str) -> dict[str, Any]:
    """One attribute's before/after pair in a customer write's entry."""
    pair: dict[str, Any] = entry["changes"]["attributes"][name]
    return pair


def _same(left: Any, right: Any) -> bool:
    return type(left) is type(right) and left == right


async def _entries_by_id(
    connection: AsyncConnection, actor: Actor, groups: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    ids = {group["first_id"] for group in groups} | {group["last_id"] for group in groups}
    if not ids:
        return {}
    query = select(activity_table).where(
        activity_table.c.workspace_id == actor.workspace_id, activity_table.c.activity_id.in_(ids)
    )
    return {row["activity_id"]: row for row in await fetch(connection, query)}


async def _external_ids(
    connection: AsyncConnection, actor: Actor, profile_ids: list[str]
) -> dict[str, str]:
    if not profile_ids:
        return {}
    customers = customer_store.customers
    query = select(customers.c.profile_id, customers.c.external_id).where(
        customers.c.workspace_id == actor.workspace_id, customers.c.profile_id.in_(profile_ids)
    )
    return {row[0]: row[1] for row in await connection.execute(query) if row[1] is not None}
