"""Segments: predicates checked against the catalog, counted and listed in SQL.

Customers are selected by one SQL query per page; they are never loaded into Python
to be filtered. A saved segment keeps its predicate as written and is checked again
against the catalog each time it runs, so a removed attribute is reported, not ignored.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import FromClause
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.attributes import service as catalog
from attrium.attributes.models import CUSTOMER_NAMESPACE
from attrium.auth.actor import Actor
from attrium.core import sql
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.errors import (
    NotFound,
    refuse_nulls,
)
from attrium.core.ids import new_ulid
from attrium.core.names import check_name, name_taken
from attrium.core.pagination import Page, cursor_string, encode_cursor
from attrium.customers import store as customer_store
from attrium.customers.models import Customer
from attrium.history import snapshots
from attrium.history import store as history_store
from attrium.objects import store as object_store
from attrium.segments import predicates, store
from attrium.segments.export import nested_types_of
from attrium.segments.json_sql import Condition
from attrium.segments.predicates import Predicate, Vocabulary
from attrium.subscriptions import configuration as subscription_configuration

EXPORT_BATCH_SIZE = 500


@dataclass(frozen=True, slots=True)
class Segment:
    segment_id: str
    name: str
    description: str | None
    predicate: Any
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Segment":
        return cls(
            segment_id=row["segment_id"],
            name=row["name"],
            description=row["description"],
            predicate=row["predicate"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


@dataclass(frozen=True, slots=True)
class Preview:
    count: int
    sample: list[Customer]


async def checked_predicate(
    connection: AsyncConnection, actor: Actor, tree: Any, field: str = "predicate"
) -> Predicate:
    """`tree` as a typed predicate over this workspace's catalog, or ValidationFailed."""
    definitions = await catalog.list_definitions(connection, actor)
    topics = await subscription_configuration.topics_of(connection, actor)
    object_types = await object_store.object_types_of(connection, actor.workspace_id)
    vocabulary = Vocabulary(
        definitions={definition.name: definition for definition in definitions},
        topics={topic.topic_id: topic.subscribed_by_default for topic in topics},
        object_types=frozenset(str(row["type_number"]) for row in object_types),
    )
    return predicates.parse(tree, vocabulary, field)


async def _selection(
    connection: AsyncConnection, actor: Actor, predicate: Predicate, as_of: datetime | None
) -> tuple[FromClause, Condition]:
    """Where the customers come from, and which satisfy `predicate`: now, or at `as_of`
    (judged on the customer the activity log rebuilds, see history.store)."""
    if as_of is None:
        return customer_store.customers, store.matching(
            connection, actor.workspace_id, predicate, utcnow()
        )
    await history_store.without_jit(connection)
    snapshot_at = await snapshots.first_after(connection, actor.workspace_id, as_of)
    return store.matching_at(connection, actor.workspace_id, predicate, as_of, snapshot_at)


async def preview(
    db: Database, actor: Actor, tree: Any, sample_size: int, as_of: datetime | None = None
) -> Preview:
    """How many customers `tree` selects (at `as_of`, or now), and the first
    `sample_size` of them (as they are now)."""
    async with db.reader() as connection:
        predicate = await checked_predicate(connection, actor, tree)
        source, where = await _selection(connection, actor, predicate, as_of)
        total = await store.count(connection, where, source)
        rows = (
            await store.members(connection, where, None, sample_size, source) if sample_size else []
        )
        return Preview(total, await customers_of(connection, actor, rows))


async def customers_of(
    connection: AsyncConnection, actor: Actor, rows: list[dict[str, Any]]
) -> list[Customer]:
    """Customer rows as the API shows them: custom identifiers and catalog defaults added."""
    profile_ids = [row["profile_id"] for row in rows]
    custom = await customer_store.custom_identifiers_of(connection, actor.workspace_id, profile_ids)
    defaults = await catalog.defaults(connection, actor, CUSTOMER_NAMESPACE)
    return [Customer.from_row(row, custom[row["profile_id"]], defaults) for row in rows]


async def create(
    db: Database, actor: Actor, name: str, description: str | None, tree: Any
) -> Segment:
    check_name("segment", name)
    now = utcnow()
    row = {
        "workspace_id": actor.workspace_id,
        "segment_id": "seg_" + new_ulid().lower(),
        "name": name,
        "description": description,
        "predicate": tree,
        "created_at": now,
        "updated_at": now,
    }
    try:
        async with db.transaction() as connection:
            await checked_predicate(connection, actor, tree)
            await _ensure_name_free(connection, actor, name, None)
            await store.insert_segment(connection, row)
    except IntegrityError as error:
        if not sql.is_unique_violation(error):
            raise
        raise name_taken("segment", name) from error
    return Segment.from_row(row)


async def _ensure_name_free(
    connection: AsyncConnection, actor: Actor, name: str, segment_id: str | None
) -> None:
    holder = await store.segment_named(connection, actor.workspace_id, name)
    if holder is not None and holder["segment_id"] != segment_id:
        raise name_taken("segment", name)


async def _read(connection: AsyncConnection, actor: Actor, segment_id: str) -> Segment:
    row = await store.read_segment(connection, actor.workspace_id, segment_id)
    if row is None:
        raise NotFound(f"no segment {segment_id}")
    return Segment.from_row(row)


async def get(db: Database, actor: Actor, segment_id: str) -> Segment:
    async with db.reader() as connection:
        return await _read(connection, actor, segment_id)


async def list_segments(
    db: Database, actor: Actor, cursor: str | None, limit: int
) -> Page[Segment]:
    async with db.reader() as connection:
        rows = await store.segment_page(
            connection, actor.workspace_id, cursor_string(cursor), limit + 1
        )
    found = [Segment.from_row(row) for row in rows[:limit]]
    more = len(rows) > limit
    return Page(found, encode_cursor(found[-1].segment_id) if more and found else None)


async def update(db: Database, actor: Actor, segment_id: str, changes: dict[str, Any]) -> Segment:
    """Change name, description or predicate; the fields given, no others."""
    refuse_nulls(changes, ("name", "predicate"))
    if "name" in changes:
        check_name("segment", changes["name"])
    try:
        async with db.transaction() as connection:
            await _read(connection, actor, segment_id)
            if "predicate" in changes:
                await checked_predicate(connection, actor, changes["predicate"])
            if "name" in changes:
                await _ensure_name_free(connection, actor, changes["name"], segment_id)
            values = {**changes, "updated_at": utcnow()}
            await store.update_segment(connection, actor.workspace_id, segment_id, values)
            return await _read(connection, actor, segment_id)
    except IntegrityError as error:
        if not sql.is_unique_violation(error):
            raise
        raise name_taken("segment", changes.get("name", "")) from error


async def delete(db: Database, actor: Actor, segment_id: str) -> None:
    async with db.transaction() as connection:
        if not await store.delete_segment(connection, actor.workspace_id, segment_id):
            raise NotFound(f"no segment {segment_id}")


async def saved_predicate(connection: AsyncConnection, actor: Actor, segment_id: str) -> Predicate:
    segment = await _read(connection, actor, segment_id)
    return await checked_predicate(connection, actor, segment.predicate)


async def count(db: Database, actor: Actor, segment_id: str, as_of: datetime | None = None) -> int:
    """How many customers the segment holds now, or held at `as_of`."""
    async with db.reader() as connection:
        predicate = await saved_predicate(connection, actor, segment_id)
        source, where = await _selection(connection, actor, predicate, as_of)
        return await store.count(connection, where, source)


async def members(
    db: Database,
    actor: Actor,
    segment_id: str,
    cursor: str | None,
    limit: int,
    as_of: datetime | None = None,
) -> Page[Customer]:
    """One page of the segment's customers (now, or at `as_of`), in profile id order."""
    after = cursor_string(cursor)
    async with db.reader() as connection:
        predicate = await saved_predicate(connection, actor, segment_id)
        source, where = await _selection(connection, actor, predicate, as_of)
        rows = await store.members(connection, where, after, limit + 1, source)
        found = await customers_of(connection, actor, rows[:limit])
    more = len(rows) > limit
    return Page(found, encode_cursor(found[-1].profile_id) if more and found else None)


@dataclass(frozen=True, slots=True)
class Export:
    """A segment's members, read batch by batch; `attribute_names` is the catalog."""

    db: Database
    actor: Actor
    predicate: Predicate
    attribute_names: list[str]
    started_at: datetime
    nested_types: dict[str, str] = field(default_factory=dict)

    async def batches(self) -> AsyncIterator[list[Customer]]:
        after: str | None = None
        while True:
            async with self.db.reader() as connection:
                where = store.matching(
                    connection, self.actor.workspace_id, self.predicate, self.started_at
                )
                rows = await store.members(connection, where, after, EXPORT_BATCH_SIZE)
                batch = await customers_of(connection, self.actor, rows)
            if batch:
                yield batch
            if len(rows) < EXPORT_BATCH_SIZE:
                return
            after = rows[-1]["profile_id"]


async def open_export(db: Database, actor: Actor, segment_id: str) -> Export:
    """Check the segment before the first byte goes out, so errors are still answers."""
    async with db.reader() as connection:
        predicate = await saved_predicate(connection, actor, segment_id)
        definitions = await catalog.list_definitions(connection, actor)
    names = [d.name for d in definitions]
    return Export(db, actor, predicate, names, utcnow(), nested_types_of(definitions))
