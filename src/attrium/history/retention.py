"""Retention: customer history older than `ATTRIUM_HISTORY_DAYS` is pruned; and the
daily snapshots segment reads as of a past instant start from (history.snapshots).

As-of reads walk back from the current row through the entries after the instant
asked for, so pruning older entries changes no answer inside the window; instants
before it are refused (history.service.parse_as_of). Only the entries that record
changes to customers are history: events, refusals and admin entries stay.
"""

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, select

from attrium.activity.store import CUSTOMER_CHANGE_TYPES, activity
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.ids import ulid_floor
from attrium.core.periodic import Periodic
from attrium.core.settings import Settings
from attrium.history import snapshots
from attrium.history.service import oldest_reachable
from attrium.workspaces.store import workspaces

logger = logging.getLogger("attrium.history.retention")

PRUNE_BATCH = 5000


async def prune(db: Database, settings: Settings, now: datetime | None = None) -> int:
    """Delete every workspace's change entries older than the window; how many went."""
    cutoff = oldest_reachable(settings, now or utcnow())
    if cutoff is None:
        return 0
    pruned = 0
    for workspace_id in await _workspace_ids(db):
        pruned += await prune_workspace(db, workspace_id, cutoff)
    return pruned


async def prune_workspace(db: Database, workspace_id: str, cutoff: datetime) -> int:
    # Batches in transactions of their own: a long prune never holds locks for long.
    # The id bound reads the primary key's range (an entry's ULID is made after its time).
    older = and_(
        activity.c.workspace_id == workspace_id,
        activity.c.activity_id < ulid_floor(cutoff),
        activity.c.created_at < cutoff,
        activity.c.type.in_(CUSTOMER_CHANGE_TYPES),
    )
    pruned = 0
    while True:
        batch = select(activity.c.activity_id).where(older).limit(PRUNE_BATCH)
        async with db.transaction() as connection:
            result = await connection.execute(
                delete(activity).where(
                    activity.c.workspace_id == workspace_id,
                    activity.c.activity_id.in_(batch.scalar_subquery()),
                )
            )
        pruned += int(result.rowcount)
        if result.rowcount < PRUNE_BATCH:
            return pruned


async def keep(db: Database, settings: Settings, now: datetime | None = None) -> None:
    """One round: prune history, then take each workspace's snapshot if one is due."""
    now = now or utcnow()
    pruned = await prune(db, settings, now)
    if pruned:
        logger.info("pruned %d history entries", pruned)
    if settings.history_snapshot_hours <= 0:
        return
    every = timedelta(hours=settings.history_snapshot_hours)
    # A snapshot costs a row per customer: they are kept `history_snapshot_days`. An
    # older instant walks back from the oldest kept one: slower, the same answer.
    cutoff = now - timedelta(days=settings.history_snapshot_days)
    oldest = oldest_reachable(settings, now)
    if oldest is not None:
        cutoff = max(cutoff, oldest)
    for workspace_id in await _workspace_ids(db):
        if await snapshots.keep_up(db, workspace_id, now, every, cutoff):
            logger.info("took a history snapshot of workspace %s", workspace_id)


async def _workspace_ids(db: Database) -> list[str]:
    async with db.reader() as connection:
        found = await connection.execute(select(workspaces.c.workspace_id))
        return list(found.scalars())


class HistoryKeeper(Periodic):
    """Runs `keep` every `history_prune_seconds` while the server runs. Every process
    may run one: deletes of the same rows agree, and two snapshots of a day are only
    redundant."""

    def __init__(self, db: Database, settings: Settings) -> None:
        super().__init__(
            "history-keeper",
            settings.history_prune_seconds,
            lambda: keep(db, settings),
            at_once=True,
        )
