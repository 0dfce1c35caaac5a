"""The one recorder of refused customer writes, for every write path."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity import service as activity
from attrium.activity.service import ActivityEntry
from attrium.auth.actor import Actor
from attrium.core.database import Database
from attrium.core.errors import AttriumError, IdentifierSuppressed
from attrium.customers.identity import CustomerRef
from attrium.customers.owners import holders_of, key_of


async def record_refusal(db: Database, actor: Actor, ref: CustomerRef, error: AttriumError) -> None:
    """Log one refused write in a transaction of its own (its own was rolled back)."""
    async with db.transaction() as connection:
        await record_refusals(connection, actor, [ref], [error])


async def record_refusals(
    connection: AsyncConnection,
    actor: Actor,
    refs: Sequence[CustomerRef | None],
    errors: Sequence[AttriumError | None],
) -> None:
    """Log each refused write, on the customer its reference names when one exists."""
    refused = [(ref, error) for ref, error in zip(refs, errors, strict=True) if error is not None]
    if not refused:
        return
    named = [ref for ref, _ in refused if ref is not None]
    owners = await holders_of(connection, actor.workspace_id, (key_of(ref) for ref in named))
    entries: list[ActivityEntry] = []
    for ref, error in refused:
        # A suppressed identifier's value must not come back through the log.
        shown = None if ref is None or isinstance(error, IdentifierSuppressed) else str(ref)
        owner = owners.get(key_of(ref)) if ref is not None else None
        entries.append(activity.rejection_entry(error, shown, profile_id=owner))
    await activity.record(connection, actor, entries)
