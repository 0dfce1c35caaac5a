"""The activity log: every change, every failure, every admin action.

Changes are recorded by the service that makes them, inside the same transaction;
rejected writes are recorded after their transaction rolled back.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity import store
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.errors import AttriumError
from attrium.core.ids import new_ulids
from attrium.core.pagination import Page, cursor_string, encode_cursor

if TYPE_CHECKING:
    from attrium.activity.queries import AttributeChange
    from attrium.auth.actor import Actor


class ActivityType(StrEnum):
    CUSTOMER_CREATED = "customer_created"
    CUSTOMER_UPDATED = "customer_updated"
    CUSTOMER_DELETED = "customer_deleted"
    CUSTOMER_SUPPRESSED = "customer_suppressed"
    CUSTOMER_UNSUPPRESSED = "customer_unsuppressed"
    CUSTOMER_MERGED = "customer_merged"
    CUSTOMER_MERGE_UNDONE = "customer_merge_undone"
    SUBSCRIPTION_CHANGED = "subscription_changed"
    SUBSCRIPTION_REPEATED = "subscription_repeated"
    UNSUBSCRIBED_CHANGED = "unsubscribed_changed"
    TOPIC_PREFERENCE_CHANGED = "topic_preference_changed"
    SIGNUP_SOURCE_CREATED = "signup_source_created"
    SIGNUP_SOURCE_DELETED = "signup_source_deleted"
    TOPIC_CREATED = "topic_created"
    TOPIC_DELETED = "topic_deleted"
    OBJECT_TYPE_CREATED = "object_type_created"
    OBJECT_CREATED = "object_created"
    OBJECT_ATTRIBUTE_CHANGED = "object_attribute_changed"
    OBJECT_DELETED = "object_deleted"
    RELATIONSHIP_ADDED = "relationship_added"
    RELATIONSHIP_CHANGED = "relationship_changed"
    RELATIONSHIP_REMOVED = "relationship_removed"
    ATTRIBUTE_UPDATE_FAILURE = "attribute_update_failure"
    WRITE_REJECTED = "write_rejected"
    ATTRIBUTE_DEFINED = "attribute_defined"
    ATTRIBUTE_DEFINITION_CHANGED = "attribute_definition_changed"
    ATTRIBUTE_DEFINITION_DELETED = "attribute_definition_deleted"
    KEY_CREATED = "key_created"
    KEY_REVOKED = "key_revoked"
    SETTINGS_CHANGED = "settings_changed"
    EVENT = "event"
    DEVICE_ADDED = "device_added"
    DEVICE_CHANGED = "device_changed"
    DEVICE_REMOVED = "device_removed"


# Not frozen: a frozen dataclass's __init__ costs twice as much, and an import makes
# one entry per row. Entries are built once and never changed.
@dataclass(slots=True)
class ActivityEntry:
    """One entry of the log. A customer write is one entry, whatever it changed: its
    `changes` hold {"attributes": {name: {"old", "new"}}, "identifiers": {field: ...}}
    (either part absent when empty; "old" null: no value before, "new" null: removed;
    a value an older timestamped write left is recorded too, customers.timing).
    `attribute` names the one attribute a catalog or object entry is about, and
    `old_value`/`new_value` the one value a subscription entry changed."""

    type: ActivityType
    profile_id: str | None = None
    customer_ref: str | None = None
    attribute: str | None = None
    old_value: Any = None
    new_value: Any = None
    reason: str | None = None
    details: dict[str, Any] | None = None
    changes: dict[str, Any] | None = None


def change(old: Any, new: Any) -> dict[str, Any]:
    """One before/after pair of `ActivityEntry.changes`."""
    return {"old": old, "new": new}


def _names(entry: ActivityEntry) -> list[str] | None:
    """The attributes an entry concerns, as the log indexes them."""
    changed = entry.changes.get("attributes") if entry.changes else None
    if changed:
        return list(changed)
    return [entry.attribute] if entry.attribute is not None else None


# An enum member's `.value` is a slow descriptor lookup; this is one dict read per entry.
_TYPE_VALUES = {kind: kind.value for kind in ActivityType}


def records_of(
    workspace_id: str, actor: "Actor | None", entries: Iterable[ActivityEntry]
) -> list[store.EntryRecord]:
    """The entries as rows of the activity table (`store.COLUMN_NAMES`), for a write that
    stores them itself (customers.pipeline)."""
    now = utcnow()
    entries = list(entries)
    key_id = actor.key_id if actor else None
    source = actor.source if actor else "cli"
    return [
        (
            workspace_id,
            activity_id,
            entry.profile_id,
            entry.customer_ref,
            _TYPE_VALUES[entry.type],
            entry.attribute,
            entry.old_value,
            entry.new_value,
            entry.reason,
            entry.details,
            key_id,
            source,
            now,
            entry.changes,
            _names(entry),
        )
        for entry, activity_id in zip(entries, new_ulids(len(entries)), strict=True)
    ]


async def record(
    connection: AsyncConnection, actor: "Actor", entries: Iterable[ActivityEntry]
) -> None:
    await store.insert_entries(connection, records_of(actor.workspace_id, actor, entries))


async def record_admin_action(
    connection: AsyncConnection,
    workspace_id: str,
    activity_type: str,
    actor: "Actor | None",
    details: dict[str, Any],
) -> None:
    entry = ActivityEntry(type=ActivityType(activity_type), details=details)
    await store.insert_entries(connection, records_of(workspace_id, actor, [entry]))


async def record_rejection(
    db: Database,
    actor: "Actor",
    error: AttriumError,
    customer_ref: str | None,
    profile_id: str | None = None,
) -> None:
    """Log a refused write in a transaction of its own (the write's was rolled back)."""
    async with db.transaction() as connection:
        await record(connection, actor, [rejection_entry(error, customer_ref, profile_id)])


def rejection_entry(
    error: AttriumError, customer_ref: str | None, profile_id: str | None = None
) -> ActivityEntry:
    """The entry that records a refused write."""
    return ActivityEntry(
        type=ActivityType.WRITE_REJECTED,
        profile_id=profile_id,
        customer_ref=customer_ref,
        reason=error.detail,
        details={"errors": [field_error.as_dict() for field_error in error.errors]}
        if error.errors
        else None,
    )


def as_public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["activity_id"],
        "type": row["type"],
        "profile_id": row["profile_id"],
        "customer_ref": row["customer_ref"],
        "attribute": row["attribute"],
        "changes": row["changes"],
        "old_value": row["old_value"],
        "new_value": row["new_value"],
        "reason": row["reason"],
        "details": row["details"],
        "key_id": row["key_id"],
        "source": row["source"],
        "created_at": row["created_at"],
    }


async def customer_history(
    db: Database, actor: "Actor", profile_id: str, cursor: str | None, limit: int
) -> Page[dict[str, Any]]:
    """One customer's entries, newest first."""
    before_id = cursor_string(cursor)
    query = store.newest_first(actor.workspace_id, before_id, limit + 1).where(
        store.activity.c.profile_id == profile_id
    )
    async with db.reader() as connection:
        rows = await store.fetch(connection, query)
    return _page(rows, limit)


def _page(rows: list[dict[str, Any]], limit: int) -> Page[dict[str, Any]]:
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1]["activity_id"]) if more and rows else None
    return Page([as_public(row) for row in rows], next_cursor)


async def attribute_changes(
    db: Database,
    actor: "Actor",
    attribute: str,
    since: datetime,
    until: datetime,
    limit: int | None = None,
) -> list["AttributeChange"]:
    """The customers whose `attribute` changed in [since, until), the first `limit` of
    them (every one without), in the order of their profile ids.

    The rule lives in `activity.queries`, which builds on this module (hence the
    import here); this gathers its pages, and stops once it has `limit`.
    """
    from attrium.activity import queries

    found: list[AttributeChange] = []
    cursor = None
    while limit is None or len(found) < limit:
        # A page may list fewer than it reads (changed and changed back): read ahead.
        size = 1000 if limit is None else min(1000, max(100, limit - len(found)))
        page = await queries.attribute_changes(db, actor, attribute, since, until, cursor, size)
        found.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return found[:limit]
