"""What this process knows of each workspace's version, and how recently it checked.

Caches in process memory (the API keys in auth.service, the catalogs in
attributes.cache) keep what they read with the version of the workspace it belongs
to, and use it only while `Versions.current` answers that same version. Every change
to a workspace's keys, settings or attribute definitions bumps its version in the
changing transaction (workspaces.store.bump_catalog_version), and `Versions` learns it

- in the process that made the change, as soon as that transaction commits
  (core.database.after_commit), so the next request there sees the change;
- in every process, from a `Poller` that reads every workspace's version every
  POLL_SECONDS for as long as the application runs.

A poll sees every change committed before it started, so versions are trusted only
while the newest poll that succeeded started at most STALE_AFTER_SECONDS ago; past
that (the database restarted, polls wait for a connection) `current` answers None and
callers read the database, as they would without a cache, until a poll succeeds
again. Nothing needs replaying after an outage: versions are compared, not events.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.core import metrics

if TYPE_CHECKING:
    from attrium.core.database import Database

logger = logging.getLogger("attrium.invalidation")

POLL_SECONDS = 0.25
STALE_AFTER_SECONDS = 1.0

Clock = Callable[[], float]
ReadVersions = Callable[[AsyncConnection], Awaitable[dict[str, int]]]


class Versions:
    """Each workspace's newest committed version known here, and when a poll last confirmed it.

    A workspace's version only grows, so the highest seen is the newest: a poll that
    started before a local commit cannot take back what that commit taught.
    """

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self._known: dict[str, int] = {}
        self._polled_at: float | None = None
        # Grows whenever any known version grows; what is known *not* to exist (an
        # unknown API key) holds only while it stands still.
        self.epoch = 0

    @property
    def fresh(self) -> bool:
        polled_at = self._polled_at
        return polled_at is not None and self.clock() - polled_at <= STALE_AFTER_SECONDS

    def current(self, workspace_id: str) -> int | None:
        """The workspace's version as of at most STALE_AFTER_SECONDS ago, or None if unsure."""
        return self._known.get(workspace_id) if self.fresh else None

    def observe(self, workspace_id: str, version: int) -> None:
        """A version read from committed data (or just committed by this process)."""
        if version > self._known.get(workspace_id, -1):
            self._known[workspace_id] = version
            self.epoch += 1

    def polled(self, versions: dict[str, int], started_at: float) -> None:
        """Every workspace's version, as read by a poll that started at `started_at`."""
        known = self._known
        if any(version > known.get(workspace_id, -1) for workspace_id, version in versions.items()):
            self.epoch += 1
        self._known = {
            workspace_id: max(version, known.get(workspace_id, version))
            for workspace_id, version in versions.items()
        }
        if self._polled_at is None or started_at > self._polled_at:
            self._polled_at = started_at


class Poller:
    """Keeps `db.versions` fresh: one read of every workspace's version per POLL_SECONDS.

    The reads are the cost of the caches when idle (POLL_SECONDS⁻¹ statements per
    second per process, docs/scaling.md); a failed read is retried at the next tick.
    """

    def __init__(self, db: "Database", read_versions: ReadVersions) -> None:
        self.db = db
        self.read_versions = read_versions
        self.task: asyncio.Task[None] | None = None
        self.failing = False

    async def start(self) -> None:
        """Poll once (so the first requests find the caches usable), then every tick."""
        await self._poll_logged()
        self.task = asyncio.create_task(self._loop(), name="attrium-version-poller")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None

    async def poll(self) -> None:
        versions = self.db.versions
        started_at, started_at_unix = versions.clock(), time.time()
        async with self.db.single_read() as connection:
            read = await self.read_versions(connection)
        versions.polled(read, started_at)
        metrics.VERSIONS_POLLED.set(started_at_unix)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            await self._poll_logged()

    async def _poll_logged(self) -> None:
        """One poll; a failure is logged once per outage, and the loop goes on."""
        try:
            await self.poll()
        except asyncio.CancelledError:
            raise
        except Exception:  # the poller must outlive an outage of the database
            if not self.failing:
                logger.exception(
                    "reading workspace versions failed; caches bypassed until it works again"
                )
            self.failing = True
            return
        if self.failing:
            logger.info("reading workspace versions works again")
        self.failing = False
