"""Customers: the domain's entry for every other package.

Writes go through the process's writer (`customers.writer`: group commit) into the
batch pipeline (`customers.pipeline`), which applies the rules of
`customers.planning`; reads are in `customers.reads`. See docs/architecture.md for
the write pipeline's stages.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity import service as activity
from attrium.activity.service import ActivityEntry, ActivityType
from attrium.attributes.models import limits_for
from attrium.auth.actor import Actor
from attrium.core.database import Database
from attrium.core.errors import AttriumError, ValidationFailed
from attrium.core.settings import Settings
from attrium.customers import receipts, refusals, store
from attrium.customers.batches import BatchWrite
from attrium.customers.identity import CustomerRef
from attrium.customers.items import RowInvalid, write_of
from attrium.customers.models import CustomerWrite, WriteOutcome
from attrium.customers.planning import WriteOptions
from attrium.customers.reads import (
    find,
    get,
    list_customers,
    read_customer,
    read_customers,
    read_many,
    resolve,
)
from attrium.customers.receipts import seen_by
from attrium.customers.writer import AfterWrite, WriteResult, writer_of
from attrium.identity import erasure
from attrium.identity.suppressions import suppression_errors

__all__ = [
    "AfterWrite",
    "WriteOptions",
    "WriteResult",
    "delete",
    "find",
    "get",
    "list_customers",
    "native_options",
    "read_customer",
    "read_customers",
    "read_many",
    "refresh_planner_statistics",
    "seen_by",
    "upsert",
    "upsert_items",
    "upsert_many",
]


async def upsert(
    db: Database,
    actor: Actor,
    ref: CustomerRef,
    write: CustomerWrite,
    options: WriteOptions,
    then: AfterWrite | None = None,
) -> WriteOutcome:
    """Create or update the customer `ref` names (see `customers.planning`); answered
    after its commit, which it may share with concurrent writes."""
    [result] = await writer_of(db).apply(actor, [BatchWrite(ref, write)], options, then)
    if isinstance(result, AttriumError):
        raise result
    return receipts.as_answered(actor, ref, write, result)


async def upsert_many(
    db: Database, actor: Actor, writes: Sequence[BatchWrite], options: WriteOptions
) -> list[WriteResult]:
    """Apply writes in order, each refused alone if a rule refuses it."""
    return _as_answered(actor, writes, await writer_of(db).apply(actor, writes, options))


def _as_answered(
    actor: Actor, writes: Sequence[BatchWrite], results: list[WriteResult]
) -> list[WriteResult]:
    if receipts.may_read(actor):
        return results
    return [
        receipts.as_answered(actor, write.ref, write.write, result)
        if isinstance(result, WriteOutcome)
        else result
        for write, result in zip(writes, results, strict=True)
    ]


async def upsert_items(
    db: Database, actor: Actor, items: Sequence[Any], options: WriteOptions
) -> list[WriteResult]:
    """Apply items (see `customers.items`) in order, one result each, in one call to the
    writer; an item is refused alone, and recorded as any refused write."""
    results: list[WriteResult | None] = [None] * len(items)
    writes: list[BatchWrite] = []
    positions: list[int] = []
    invalid: list[ValidationFailed] = []
    for position, item in enumerate(items):
        try:
            writes.append(write_of(item, options.max_identifier_bytes))
            positions.append(position)
        except ValidationFailed as refused:
            results[position] = refused
            invalid.append(refused)
    if invalid:
        await _record_invalid(db, actor, invalid)
    applied = await upsert_many(db, actor, writes, options) if writes else []
    for position, result in zip(positions, applied, strict=True):
        results[position] = result
    return [result for result in results if result is not None]


async def _record_invalid(db: Database, actor: Actor, invalid: Sequence[ValidationFailed]) -> None:
    """Record items refused before any write, on the customer each names (`shown_refs`)."""
    async with db.transaction() as connection:
        refs = await shown_refs(connection, actor, invalid)
        await refusals.record_refusals(connection, actor, refs, invalid)


async def shown_refs(
    connection: AsyncConnection, actor: Actor, refused: Sequence[object]
) -> list[CustomerRef | None]:
    """The customer each item refused while read names (`RowInvalid.ref`); None where
    it names none, or names it by a suppressed identifier (whose value must not come
    back through a log or a report). For the batch route and imports alike."""
    refs = [error.ref if isinstance(error, RowInvalid) else None for error in refused]
    named = [(position, ref) for position, ref in enumerate(refs) if ref is not None]
    if named:
        refusals = await suppression_errors(
            connection, actor, [[(ref.field, ref)] for _, ref in named]
        )
        for (position, _), suppressed in zip(named, refusals, strict=True):
            if suppressed is not None:
                refs[position] = None
    return refs


async def delete(db: Database, actor: Actor, ref: CustomerRef) -> None:
    """Erase a customer: profile, identifiers, subscriptions, relationships, and the
    personal data in its activity (only anonymous counts remain)."""
    async with db.transaction() as connection:
        profile_id = await resolve(connection, actor, ref)
        await store.read(connection, actor.workspace_id, profile_id, lock=True)
        customer = await read_customer(connection, actor, profile_id)
        erased = await erasure.erase(connection, actor, customer)
        details = {"erased_activity_entries": sum(erased.values()), "erased_by_type": erased}
        await activity.record(
            connection, actor, [ActivityEntry(ActivityType.CUSTOMER_DELETED, details=details)]
        )


async def refresh_planner_statistics(db: Database) -> None:
    """Have the database's planner learn the customers table anew (after a bulk load)."""
    async with db.transaction() as connection:
        await store.refresh_planner_statistics(connection)


def native_options(actor: Actor, settings: Settings) -> WriteOptions:
    return WriteOptions(
        limits=limits_for(actor, settings), max_identifier_bytes=settings.max_identifier_bytes
    )
