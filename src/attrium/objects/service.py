"""Object types, objects and relationships.

- Object types are workspace configuration, numbered "1", "2", … per workspace.
- An object is `(object_type_id, object_id)`; it is created on first use, and its
  attributes follow the customer attribute rules in a catalog namespace of its type.
- A relationship links a customer to an object and carries attributes of its own
  (their namespace is per object type too); null or "" removes one. Relationships
  are added and deleted in batches, all or nothing.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity import service as activity
from attrium.activity.service import ActivityEntry, ActivityType
from attrium.attributes.models import AttributeLimits
from attrium.attributes.writes import effective_patch, prepare_values
from attrium.auth.actor import Actor
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.errors import (
    AlreadyExists,
    AttriumError,
    FieldError,
    LimitExceeded,
    NotFound,
    ValidationFailed,
)
from attrium.core.numbered import parse_number
from attrium.core.pagination import Page, cursor_string, encode_cursor
from attrium.customers import store as customer_store
from attrium.customers.identity import CustomerRef
from attrium.objects import store
from attrium.objects.models import (
    ObjectKey,
    ObjectRecord,
    ObjectType,
    Relationship,
    RelationshipInput,
    object_namespace,
    relationship_namespace,
)
from attrium.workspaces import store as workspace_store

MAX_RELATIONSHIPS_PER_REQUEST = 1000
MAX_TYPE_NAME_CHARS = 200


async def create_object_type(db: Database, actor: Actor, name: str) -> ObjectType:
    name = name.strip()
    if not name or len(name) > MAX_TYPE_NAME_CHARS:
        message = f"an object type name is 1 to {MAX_TYPE_NAME_CHARS} characters"
        raise ValidationFailed(message, [FieldError("name", "name.length", message)])
    async with db.transaction() as connection:
        await workspace_store.lock(connection, actor.workspace_id)
        if await store.object_types_of(connection, actor.workspace_id, name=name):
            raise AlreadyExists(f"an object type named {name!r} exists")
        row = {
            "workspace_id": actor.workspace_id,
            "type_number": await store.next_type_number(connection, actor.workspace_id),
            "name": name,
            "created_at": utcnow(),
        }
        await store.insert_object_type(connection, row)
        object_type = ObjectType.from_row(row)
        await activity.record_admin_action(
            connection,
            actor.workspace_id,
            ActivityType.OBJECT_TYPE_CREATED,
            actor,
            {"object_type_id": object_type.type_id, "name": name},
        )
    return object_type


async def list_object_types(db: Database, actor: Actor) -> list[ObjectType]:
    async with db.reader() as connection:
        rows = await store.object_types_of(connection, actor.workspace_id)
    return [ObjectType.from_row(row) for row in rows]


async def type_number(
    connection: AsyncConnection, actor: Actor, type_id: str, field: str = "object_type_id"
) -> int:
    """The number of an existing object type; 422 naming `field` if there is none."""
    number = parse_number(type_id, field, "object type")
    if not await store.object_types_of(connection, actor.workspace_id, type_number=number):
        message = f"the workspace has no object type {type_id}; create it first"
        raise ValidationFailed(message, [FieldError(field, "object_type.unknown", message)])
    return number


async def get_object_type(db: Database, actor: Actor, type_id: str) -> ObjectType:
    number = parse_number(type_id, "object_type_id", "object type")
    async with db.reader() as connection:
        rows = await store.object_types_of(connection, actor.workspace_id, type_number=number)
    if not rows:
        raise NotFound(f"no object type {type_id}")
    return ObjectType.from_row(rows[0])


def check_object_id(object_id: str, field: str, max_bytes: int) -> str:
    if not object_id or any(ord(char) < 32 or ord(char) == 127 for char in object_id):
        message = "object ids are non-empty and hold no control characters"
        raise ValidationFailed(message, [FieldError(field, "object_id.format", message)])
    if len(object_id.encode("utf-8", "surrogatepass")) > max_bytes:
        message = f"object ids are at most {max_bytes} bytes"
        raise ValidationFailed(message, [FieldError(field, "object_id.too_long", message)])
    return object_id


async def upsert_object(
    db: Database,
    actor: Actor,
    key: ObjectKey,
    attributes: Mapping[str, Any],
    limits: AttributeLimits,
    max_id_bytes: int,
) -> tuple[ObjectRecord, bool]:
    """Create the object or merge attributes into it; returns it and whether it is new."""
    check_object_id(key.object_id, "object_id", max_id_bytes)
    try:
        async with db.transaction() as connection:
            number = await type_number(connection, actor, key.type_id)
            patch = await prepare_values(
                connection, actor, attributes, limits, object_namespace(number)
            )
            now = utcnow()
            created = await store.ensure_object(
                connection, actor.workspace_id, number, key.object_id, now
            )
            row = await store.read_object(
                connection, actor.workspace_id, number, key.object_id, lock=True
            )
            assert row is not None
            old = row["attributes"]
            changed = effective_patch(old, patch)
            if changed:
                await store.merge_object_attributes(
                    connection, actor.workspace_id, number, key.object_id, changed, now
                )
            await activity.record(connection, actor, _object_entries(key, created, old, changed))
            final = await store.read_object(connection, actor.workspace_id, number, key.object_id)
            assert final is not None
            return ObjectRecord.from_row(final), created
    except AttriumError as error:
        await activity.record_rejection(db, actor, error, f"object:{key.type_id}:{key.object_id}")
        raise


def _object_entries(
    key: ObjectKey, created: bool, old: Mapping[str, Any], changed: Mapping[str, Any]
) -> list[ActivityEntry]:
    details = {"object_type_id": key.type_id, "object_id": key.object_id}
    entries = [ActivityEntry(ActivityType.OBJECT_CREATED, details=details)] if created else []
    entries.extend(
        ActivityEntry(
            ActivityType.OBJECT_ATTRIBUTE_CHANGED,
            attribute=name,
            old_value=old.get(name),
            new_value=value,
            details=details,
        )
        for name, value in changed.items()
    )
    return entries


async def get_object(db: Database, actor: Actor, key: ObjectKey) -> ObjectRecord:
    async with db.reader() as connection:
        number = parse_number(key.type_id, "object_type_id", "object type")
        row = await store.read_object(connection, actor.workspace_id, number, key.object_id)
    if row is None:
        raise NotFound(f"no object {key.object_id} of type {key.type_id}")
    return ObjectRecord.from_row(row)


async def list_objects(
    db: Database, actor: Actor, type_id: str, cursor: str | None, limit: int
) -> Page[ObjectRecord]:
    after = cursor_string(cursor)
    async with db.reader() as connection:
        number = await type_number(connection, actor, type_id)
        rows = await store.page_objects(connection, actor.workspace_id, number, after, limit + 1)
    items = [ObjectRecord.from_row(row) for row in rows[:limit]]
    more = len(rows) > limit
    return Page(items, encode_cursor(items[-1].object_id) if more and items else None)


async def delete_object(db: Database, actor: Actor, key: ObjectKey) -> None:
    """Remove the object and every relationship to it."""
    number = parse_number(key.type_id, "object_type_id", "object type")
    async with db.transaction() as connection:
        if not await store.delete_object(connection, actor.workspace_id, number, key.object_id):
            raise NotFound(f"no object {key.object_id} of type {key.type_id}")
        details = {"object_type_id": key.type_id, "object_id": key.object_id}
        await activity.record(
            connection, actor, [ActivityEntry(ActivityType.OBJECT_DELETED, details=details)]
        )


async def related_customers(db: Database, actor: Actor, key: ObjectKey) -> list[Relationship]:
    """The relationships of every customer related to the object."""
    number = parse_number(key.type_id, "object_type_id", "object type")
    async with db.reader() as connection:
        rows = await store.relationships_of(
            connection, actor.workspace_id, type_number=number, object_id=key.object_id
        )
    return [Relationship.from_row(row) for row in rows]


async def relationships_of(db: Database, actor: Actor, ref: CustomerRef) -> list[Relationship]:
    async with db.reader() as connection:
        profile_id = await _resolve(connection, actor, ref)
        rows = await store.relationships_of(connection, actor.workspace_id, profile_id=profile_id)
    return [Relationship.from_row(row) for row in rows]


async def _resolve(connection: AsyncConnection, actor: Actor, ref: CustomerRef) -> str:
    profile_id = await customer_store.owner_of(connection, actor.workspace_id, ref)
    if profile_id is None:
        raise NotFound(f"no customer {ref}")
    return profile_id


async def change_relationships(
    db: Database,
    actor: Actor,
    ref: CustomerRef,
    add: list[RelationshipInput],
    remove: list[ObjectKey],
    limits: AttributeLimits,
    max_id_bytes: int,
) -> list[Relationship]:
    """Add (or update) and delete a customer's relationships, all or nothing."""
    try:
        async with db.transaction() as connection:
            profile_id = await _resolve(connection, actor, ref)
            await customer_store.read(connection, actor.workspace_id, profile_id, lock=True)
            await apply_relationships(
                connection, actor, profile_id, add, remove, limits, max_id_bytes
            )
            rows = await store.relationships_of(
                connection, actor.workspace_id, profile_id=profile_id
            )
            return [Relationship.from_row(row) for row in rows]
    except AttriumError as error:
        async with db.reader() as connection:
            owner = await customer_store.owner_of(connection, actor.workspace_id, ref)
        await activity.record_rejection(db, actor, error, str(ref), profile_id=owner)
        raise


async def apply_relationships(
    connection: AsyncConnection,
    actor: Actor,
    profile_id: str,
    add: list[RelationshipInput],
    remove: list[ObjectKey],
    limits: AttributeLimits,
    max_id_bytes: int,
) -> None:
    """Change relationships inside the caller's transaction (the customer's row locked)."""
    if len(add) + len(remove) > MAX_RELATIONSHIPS_PER_REQUEST:
        message = f"at most {MAX_RELATIONSHIPS_PER_REQUEST} relationships per request"
        raise LimitExceeded(message, [FieldError("relationships", "limit.per_request", message)])
    planned = [
        await _plan_addition(connection, actor, item, f"add.{index}", limits, max_id_bytes)
        for index, item in enumerate(add)
    ]
    removals = [
        (await type_number(connection, actor, key.type_id, f"delete.{index}.object_type_id"), key)
        for index, key in enumerate(remove)
    ]
    now = utcnow()
    entries: list[ActivityEntry] = []
    for number, item, patch in planned:
        if await store.ensure_object(connection, actor.workspace_id, number, item.object_id, now):
            key = ObjectKey(item.type_id, item.object_id)
            entries.extend(_object_entries(key, True, {}, {}))
        entry = await _put_relationship(connection, actor, profile_id, number, item, patch)
        if entry is not None:
            entries.append(entry)
    for number, key in removals:
        if await store.delete_relationship(
            connection, actor.workspace_id, profile_id, number, key.object_id
        ):
            item = RelationshipInput(key.type_id, key.object_id)
            entries.append(
                _relationship_entry(ActivityType.RELATIONSHIP_REMOVED, profile_id, item, {})
            )
    await activity.record(connection, actor, entries)


async def _plan_addition(
    connection: AsyncConnection,
    actor: Actor,
    item: RelationshipInput,
    field: str,
    limits: AttributeLimits,
    max_id_bytes: int,
) -> tuple[int, RelationshipInput, dict[str, Any]]:
    number = await type_number(connection, actor, item.type_id, f"{field}.object_type_id")
    check_object_id(item.object_id, f"{field}.object_id", max_id_bytes)
    # Customer.io: null or "" removes a relationship attribute.
    cleared = {name: None if value == "" else value for name, value in item.attributes.items()}
    patch = await prepare_values(
        connection,
        actor,
        cleared,
        limits,
        relationship_namespace(number),
        field_prefix=f"{field}.attributes",
    )
    return number, item, patch


async def _put_relationship(
    connection: AsyncConnection,
    actor: Actor,
    profile_id: str,
    number: int,
    item: RelationshipInput,
    patch: dict[str, Any],
) -> ActivityEntry | None:
    """Add the relationship or merge into its attributes; the entry, if anything changed."""
    workspace_id, now = actor.workspace_id, utcnow()
    row = await store.read_relationship(
        connection, workspace_id, profile_id, number, item.object_id
    )
    if row is None:
        values = {name: value for name, value in patch.items() if value is not None}
        await store.insert_relationship(
            connection, workspace_id, profile_id, number, item.object_id, values, now
        )
        return _relationship_entry(ActivityType.RELATIONSHIP_ADDED, profile_id, item, values)
    changed = effective_patch(row["attributes"], patch)
    if not changed:
        return None
    await store.merge_relationship_attributes(
        connection, workspace_id, profile_id, number, item.object_id, changed, now
    )
    return _relationship_entry(ActivityType.RELATIONSHIP_CHANGED, profile_id, item, changed)


def _relationship_entry(
    activity_type: ActivityType, profile_id: str, item: RelationshipInput, patch: dict[str, Any]
) -> ActivityEntry:
    details: dict[str, Any] = {"object_type_id": item.type_id, "object_id": item.object_id}
    if patch:
        details["attributes"] = patch
    return ActivityEntry(activity_type, profile_id=profile_id, details=details)
