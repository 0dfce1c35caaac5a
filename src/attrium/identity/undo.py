"""Undoing a merge, atomically, under the primary's row lock (the rule: `undo_plan`).

The secondary comes back with its profile id, identifiers, attributes, side rows and
history as the merge found it; the primary gives back what the merge moved onto it
and keeps what was written to it since. Both get a `customer_merge_undone` entry.
A merge whose customer was erased or merged again since cannot be undone (409).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity import service as activity_service
from attrium.activity.service import ActivityEntry, ActivityType, change
from attrium.activity.store import activity
from attrium.attributes import stats as attribute_stats
from attrium.auth.actor import Actor
from attrium.core import sql
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.errors import Conflict, FieldError, NotFound
from attrium.customers import service as customers
from attrium.customers import store as customer_store
from attrium.customers import storing
from attrium.customers.entries import write_entry
from attrium.customers.identity import IdentifierKind
from attrium.customers.models import Customer
from attrium.customers.planning import CustomerState
from attrium.identity import merge_store
from attrium.identity.merge_record import SIDE_TABLES, customer_row, decode_row, key_of
from attrium.identity.undo_plan import (
    FIELD_OF_COLUMN,
    GONE,
    HELD,
    PrimaryReturn,
    Touched,
    UndoConflict,
    plan_primary,
    same_row,
)
from attrium.objects.store import objects

REFUSALS = {
    merge_store.UNDONE: "this merge was undone already",
    merge_store.ERASED: "a customer of this merge was erased since",
    merge_store.MERGED_AGAIN: "a customer of this merge was merged again since",
}
_CHANGE_TYPES = ("customer_created", "customer_updated", "customer_merged")
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class UndoOutcome:
    merge_id: str
    primary: Customer
    secondary: Customer
    conflicts: list[UndoConflict]
    returned_rows: dict[str, int]  # side rows and activity entries given back


MAX_UNDO_ATTEMPTS = 3


async def undo(db: Database, actor: Actor, merge_id: str) -> UndoOutcome:
    for _ in range(MAX_UNDO_ATTEMPTS - 1):
        try:
            return await _undo_once(db, actor, merge_id)
        except IntegrityError as error:
            # A concurrent write gave someone one of the secondary's identifiers after
            # this undo found it free: the next attempt sees its holder (a conflict).
            if not sql.is_unique_violation(error):
                raise
    return await _undo_once(db, actor, merge_id)


async def _undo_once(db: Database, actor: Actor, merge_id: str) -> UndoOutcome:
    async with db.transaction() as connection:
        return await _undo(connection, actor, merge_id)


async def _undo(connection: AsyncConnection, actor: Actor, merge_id: str) -> UndoOutcome:
    workspace_id = actor.workspace_id
    found = await merge_store.read_merge(connection, workspace_id, merge_id)
    if found is None:
        raise NotFound(f"no merge {merge_id}")
    _refuse_closed(found["state"])
    primary_id, secondary_id = found["primary_profile_id"], found["secondary_profile_id"]
    # The customer's row first, then the merge's: a merge and an erasure lock in that order.
    locked = await customer_store.lock_holders(
        connection, workspace_id, {"profile_id": [primary_id]}
    )
    merge = await merge_store.read_merge(connection, workspace_id, merge_id, lock=True)
    assert merge is not None  # merges are never deleted but with their workspace
    _refuse_closed(merge["state"])
    if primary_id not in locked:
        _refuse_closed(merge_store.ERASED)
    document: dict[str, Any] = merge["snapshot"]
    row, custom = locked[primary_id]
    touched = await _touched_since(connection, workspace_id, primary_id, merge_id)
    plan = plan_primary(row, custom, document["gained"], touched)
    now = utcnow()
    times = document["primary_updated_at"]
    unwritten = row["updated_at"] == datetime.fromisoformat(times["after"])
    plan.row["updated_at"] = datetime.fromisoformat(times["before"]) if unwritten else now
    details = {"merge_id": merge_id, "secondary_profile_id": secondary_id}
    primary_entry = await _give_back(connection, actor, plan, details)
    restored = await _restore_secondary(
        connection, actor, document, {"merge_id": merge_id, "primary_profile_id": primary_id}
    )
    secondary, conflicts, secondary_entry = restored
    conflicts = plan.conflicts + conflicts
    returned = await _return_rows(connection, workspace_id, document, primary_id, conflicts)
    returned["activity"] = await _return_activity(
        connection, workspace_id, document["activity_ids"], primary_id, secondary_id
    )
    # Recorded last, as they list every conflict (and not given back as history).
    for entry in (primary_entry, secondary_entry):
        assert entry.details is not None
        entry.details["conflicts"] = [conflict.as_dict() for conflict in conflicts]
    await activity_service.record(connection, actor, [primary_entry, secondary_entry])
    await merge_store.close(connection, workspace_id, merge_id, merge_store.UNDONE, now)
    return UndoOutcome(
        merge_id,
        await customers.read_customer(connection, actor, primary_id),
        await customers.read_customer(connection, actor, secondary.profile_id),
        conflicts,
        returned,
    )


def _refuse_closed(state: str) -> None:
    """A 409 naming why, unless the merge can still be undone."""
    if state == merge_store.OPEN:
        return
    refusal = REFUSALS[state]
    raise Conflict(refusal, [FieldError("merge_id", f"merge.{state}", refusal)], {"reason": state})


async def _touched_since(
    connection: AsyncConnection, workspace_id: str, primary_id: str, merge_id: str
) -> Touched:
    """What the entries recorded on the primary since the merge changed (the merge's own
    entry is after its id too: it names only what the merge moved, which the values
    then tell apart)."""
    query = select(activity.c.changes, activity.c.details).where(
        activity.c.workspace_id == workspace_id,
        activity.c.profile_id == primary_id,
        activity.c.activity_id > merge_id,
        activity.c.type.in_(_CHANGE_TYPES),
        activity.c.changes.is_not(None),
    )
    touched = Touched()
    for changes, details in await connection.execute(query):
        if (details or {}).get("merge_id") != merge_id:
            touched.add(changes)
    return touched


async def _give_back(
    connection: AsyncConnection, actor: Actor, plan: PrimaryReturn, details: dict[str, Any]
) -> ActivityEntry:
    """Store the primary as the undo leaves it; returns its entry, to record."""
    primary_id: str = plan.row["profile_id"]
    entry = write_entry(
        ActivityType.CUSTOMER_MERGE_UNDONE,
        primary_id,
        plan.attribute_changes,
        plan.identifier_changes,
        dict(details),
    )
    assert entry is not None
    removed = list(plan.attribute_changes)
    changes = attribute_stats.StatChanges()
    changes.add_changed([], removed, removed)
    state = CustomerState(plan.row, {}, plan.columns)
    await storing.store_writes(connection, actor, [], [state], [], changes)
    await customer_store.set_custom_identifiers(
        connection, actor.workspace_id, [(primary_id, name, None) for name in plan.custom_removed]
    )
    return entry


async def _restore_secondary(
    connection: AsyncConnection, actor: Actor, document: dict[str, Any], details: dict[str, Any]
) -> tuple[CustomerState, list[UndoConflict], ActivityEntry]:
    """Recreate the secondary as the merge found it, but for identifiers held since;
    returns its entry, to record."""
    workspace_id = actor.workspace_id
    row = customer_row(document)
    conflicts: list[UndoConflict] = []
    identifiers: dict[str, Any] = {}
    for column, name in FIELD_OF_COLUMN.items():
        value = row[column]
        if value is None:
            continue
        kind = IdentifierKind(name)
        if await customer_store.owners_by_column(connection, workspace_id, kind, [value]):
            conflicts.append(UndoConflict("identifier", name, HELD))
            row[column] = None
        else:
            identifiers[name] = change(None, value)
    custom: dict[str, str] = {}
    for name, value in sorted(document["custom_identifiers"].items()):
        field = f"custom_identifiers.{name}"
        if await customer_store.owners_by_custom(connection, workspace_id, name, [value]):
            conflicts.append(UndoConflict("identifier", field, HELD))
        else:
            custom[name] = value
            identifiers[field] = change(None, value)
    attributes = row["attributes"]
    entry = write_entry(
        ActivityType.CUSTOMER_MERGE_UNDONE,
        row["profile_id"],
        {name: change(None, value) for name, value in attributes.items()},
        identifiers,
        dict(details),
    )
    assert entry is not None
    changes = attribute_stats.StatChanges()
    changes.add_created(attributes)
    state = CustomerState(row, custom)
    await storing.store_writes(connection, actor, [state], [], [], changes)
    await customer_store.set_custom_identifiers(
        connection,
        workspace_id,
        [(row["profile_id"], name, value) for name, value in custom.items()],
        fresh=True,
    )
    return state, conflicts, entry


async def _return_rows(
    connection: AsyncConnection,
    workspace_id: str,
    document: dict[str, Any],
    primary_id: str,
    conflicts: list[UndoConflict],
) -> dict[str, int]:
    """Take back from the primary the side rows the merge moved and it did not change
    since; give the secondary all its side rows as they were."""
    secondary_id: str = document["row"]["profile_id"]
    returned: dict[str, int] = {}
    for name, table in SIDE_TABLES.items():
        rows = [decode_row(table, row) for row in document["rows"][name]]
        moved = document["moved_rows"][name]
        returned[name] = 0
        for row in rows:
            key = key_of(table, row)
            if key not in moved:
                continue
            mine = _key_condition(table, workspace_id, primary_id, key)
            current = (await connection.execute(select(table).where(mine))).first()
            if same_row(row, dict(current._mapping) if current else None):
                await connection.execute(delete(table).where(mine))
                returned[name] += 1
            else:
                reason = "changed_since_merge" if current else "removed_since_merge"
                conflicts.append(UndoConflict(name, "/".join(map(str, key)), reason))
        if name == "relationships":
            rows = await _with_objects(connection, workspace_id, rows, conflicts)
        if rows:
            await connection.execute(
                insert(table), [{**row, "profile_id": secondary_id} for row in rows]
            )
    return returned


def _key_condition(table: Any, workspace_id: str, profile_id: str, key: list[Any]) -> Any:
    names = [
        column.name
        for column in table.primary_key
        if column.name not in ("workspace_id", "profile_id")
    ]
    return and_(
        table.c.workspace_id == workspace_id,
        table.c.profile_id == profile_id,
        *(table.c[name] == value for name, value in zip(names, key, strict=True)),
    )


async def _with_objects(
    connection: AsyncConnection,
    workspace_id: str,
    rows: list[dict[str, Any]],
    conflicts: list[UndoConflict],
) -> list[dict[str, Any]]:
    """The relationships whose object still exists (one deleted since takes them along)."""
    kept = []
    for row in rows:
        found = await connection.execute(
            select(objects.c.object_id).where(
                objects.c.workspace_id == workspace_id,
                objects.c.type_number == row["type_number"],
                objects.c.object_id == row["object_id"],
            )
        )
        if found.first() is None:
            key = f"{row['type_number']}/{row['object_id']}"
            conflicts.append(UndoConflict("relationships", key, GONE))
        else:
            kept.append(row)
    return kept


async def _return_activity(
    connection: AsyncConnection,
    workspace_id: str,
    activity_ids: list[str],
    primary_id: str,
    secondary_id: str,
) -> int:
    """Give the secondary back its history (entries erased since stay erased)."""
    moved = 0
    for start in range(0, len(activity_ids), _CHUNK):
        chunk = activity_ids[start : start + _CHUNK]
        result = await connection.execute(
            update(activity)
            .where(
                activity.c.workspace_id == workspace_id,
                activity.c.profile_id == primary_id,
                activity.c.activity_id.in_(chunk),
            )
            .values(profile_id=secondary_id)
        )
        moved += int(result.rowcount)
    return moved
