"""SQL that rebuilds customers as they were at a past instant, from the activity log.

The one rule: a customer's value at T is the "old" of the first of its own change
entries after T that changed it ("old" null: it had none), else its value now. Walking
back from the current row needs only the entries after T, so pruning older entries
never changes an answer inside the retention window. "Own" entries are those recorded
on the customer itself: a merge moves the secondary's entries to the primary but
marks them (`merged_from`), and they are no part of the primary's past.
"""

from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Subquery,
    Text,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    text,
    true,
    type_coerce,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity.store import CUSTOMER_CHANGE_TYPES, activity
from attrium.core.ids import ulid_floor
from attrium.segments.json_sql import json_access_for

Condition = ColumnElement[bool]
ID_SLACK = timedelta(minutes=5)


def own_changes(workspace_id: str) -> Condition:
    """Entries that changed the customer they are filed under (not moved in by a
    merge; one given back to the customer it was recorded on, by an undone merge, is
    its own again)."""
    return and_(
        activity.c.workspace_id == workspace_id,
        activity.c.type.in_(CUSTOMER_CHANGE_TYPES),
        or_(activity.c.merged_from.is_(None), activity.c.merged_from == activity.c.profile_id),
    )


def own_changes_after(
    workspace_id: str, since: datetime, until: datetime | None = None
) -> Condition:
    """Own change entries recorded after `since` (up to `until`, a snapshot's instant,
    if given). An entry's ULID is made after its `created_at`, so the id bound is
    implied; it lets both backends read only the primary key's range after `since`."""
    after = and_(
        own_changes(workspace_id),
        activity.c.activity_id >= ulid_floor(since),
        activity.c.created_at > since,
    )
    if until is None:
        return after
    # The ULID is made microseconds after `created_at` (activity.service.records_of):
    # an upper id bound, with room to spare, closes the key range at the snapshot.
    return and_(
        after,
        activity.c.created_at <= until,
        activity.c.activity_id < ulid_floor(until + ID_SLACK),
    )


def past_patches(
    connection: AsyncConnection,
    workspace_id: str,
    since: datetime,
    part: str = "attributes",
    profile_id: str | None = None,
    names: frozenset[str] | None = None,
    until: datetime | None = None,
) -> Subquery:
    """Per customer (one, given `profile_id`), its `part` ("attributes" or
    "identifiers") as they were at `since`, as a patch onto today's: each changed name
    (of `names` only, if given: a segment reads a few) with the "old" of its first own
    change after `since` (null: it had none). With `until` (a snapshot's instant), the
    patch is onto the snapshot instead, from the entries in (since, until]."""
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        changed = activity.c.changes.op("->", return_type=JSONB)(literal(part, Text))
        pairs = func.jsonb_each(changed).table_valued("key", "value").lateral("pairs")
        old_value = pairs.c.value.op("->", return_type=JSONB)(literal("old", Text))
    else:
        pairs = func.json_each(activity.c.changes, f"$.{part}").table_valued("key", "value")
        pairs = pairs.alias("pairs")
        old_value = pairs.c.value.op("->", return_type=Text)(literal("$.old", Text))
    rank = func.row_number().over(
        partition_by=(activity.c.profile_id, pairs.c.key),
        order_by=(activity.c.created_at, activity.c.activity_id),
    )
    after = own_changes_after(workspace_id, since, until)
    if profile_id is not None:
        after = and_(after, activity.c.profile_id == profile_id)
    if names is not None:
        after = and_(after, pairs.c.key.in_(sorted(names)))
        # PostgreSQL: the GIN index skips other entries since `since` (a snapshot's
        # bounded key range is cheaper still: there the planner would AND both).
        if postgres and until is None:
            listed = type_coerce(activity.c.attributes, postgresql.ARRAY(Text))
            after = and_(after, listed.overlap(sorted(names)))
    changes = (
        select(activity.c.profile_id, pairs.c.key, old_value.label("old_value"), rank.label("rank"))
        .select_from(activity.join(pairs, true()))
        .where(after)
        .subquery("changes")
    )
    patch = json_access_for(connection.dialect.name).object_agg(changes.c.key, changes.c.old_value)
    return (
        select(changes.c.profile_id, patch.label("patch"))
        .where(changes.c.rank == 1)
        .group_by(changes.c.profile_id)
        .subquery(f"past_{part}")
    )


def held_at(
    connection: AsyncConnection,
    workspace_id: str,
    name: str,
    since: datetime,
    profile_id: ColumnElement[Any],
    held_now: Condition,
    until: datetime | None = None,
) -> Condition:
    """Whether the customer held identifier `name` at `since`, from its first own
    change of it after `since` (`held_now` if none; with `until`, a snapshot's
    instant, the change must be by then and `held_now` is the snapshot's)."""
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
            own_changes_after(workspace_id, since, until),
            activity.c.profile_id == profile_id,
            changed,
        )
        .order_by(activity.c.created_at, activity.c.activity_id)
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(first_old_value_held, case((held_now, 1), else_=0)) == 1


async def without_jit(connection: AsyncConnection) -> None:
    """PostgreSQL: no JIT compilation for the rest of this read. It guesses 100 pairs
    per entry from `jsonb_each`, and the inflated cost made it compile each as-of
    segment count: 1.5 s of a 2.4 s count over 200,000 entries (bench `asof`)."""
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SET LOCAL jit = off"))


async def patches_of(
    connection: AsyncConnection, workspace_id: str, profile_id: str, since: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One customer's attribute and identifier patches back to `since` (`past_patches`)."""
    found = []
    for part in ("attributes", "identifiers"):
        patches = past_patches(connection, workspace_id, since, part, profile_id)
        patch = (await connection.execute(select(patches.c.patch))).scalar_one_or_none()
        found.append(_document(patch))
    return found[0], found[1]


def _document(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, str | bytes):
        decoded: dict[str, Any] = orjson.loads(value)
        return decoded
    return dict(value)


async def last_change_until(
    connection: AsyncConnection, workspace_id: str, profile_id: str, until: datetime
) -> datetime | None:
    """When the customer's own entries last changed it at or before `until`."""
    query = select(func.max(activity.c.created_at)).where(
        own_changes(workspace_id),
        activity.c.profile_id == profile_id,
        activity.c.created_at <= until,
    )
    moment: datetime | None = (await connection.execute(query)).scalar_one_or_none()
    return moment
