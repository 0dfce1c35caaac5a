"""The pipeline's store stage: planned rows, their activity entries and the catalog
statistics' deltas, handed to `customers.batch_store` (one statement on PostgreSQL)."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity import service as activity
from attrium.activity import store as activity_store
from attrium.activity.service import ActivityEntry
from attrium.attributes import stats as attribute_stats
from attrium.auth.actor import Actor
from attrium.customers import batch_store
from attrium.customers.identity import CustomerRef, IdentifierKind
from attrium.customers.planning import CustomerState


async def store_writes(
    connection: AsyncConnection,
    actor: Actor,
    created: Sequence[CustomerState],
    changed: Sequence[CustomerState],
    entries: list[ActivityEntry],
    stat_changes: attribute_stats.StatChanges,
) -> None:
    """Store planned writes, in the caller's transaction: the new and changed customer
    rows, their activity entries and the catalog statistics' deltas (one statement on
    PostgreSQL). Custom identifiers are the caller's, after this (they refer to rows)."""
    await batch_store.write_batch(
        connection,
        actor.workspace_id,
        [state.row for state in created],
        [(state.row, state.changed_columns) for state in changed],
        activity.records_of(actor.workspace_id, actor, entries),
        attribute_stats.deltas_of(actor, stat_changes),
    )
    await activity_store.adopt_anonymous_events(
        connection, actor.workspace_id, _anonymous_holders(created, changed)
    )


def _anonymous_holders(
    created: Sequence[CustomerState], changed: Sequence[CustomerState]
) -> dict[str, str]:
    """The customers given an anonymous id by these writes, by its reference: Customer.io
    "any events bearing the same anonymous value are associated with this person"."""
    given = [state for state in created if state.row["anonymous_id"] is not None]
    given += [
        state
        for state in changed
        if "anonymous_id" in state.changed_columns and state.row["anonymous_id"] is not None
    ]
    return {
        str(CustomerRef(IdentifierKind.ANONYMOUS_ID, state.row["anonymous_id"])): state.profile_id
        for state in given
    }
