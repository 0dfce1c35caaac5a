"""The background runner that applies import jobs, one per server process.

It claims jobs through leases in the database, so several processes (or a process
that restarted) share the queue without applying a batch twice.
"""

import asyncio
import contextlib
import logging
from datetime import timedelta

from attrium.core.database import Database
from attrium.core.ids import new_ulid
from attrium.core.settings import Settings
from attrium.imports import apply, service
from attrium.imports.apply import RunnerConfig

logger = logging.getLogger("attrium.imports")


class ImportRunner:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.config = RunnerConfig(
            owner="runner_" + new_ulid().lower(),
            batch_rows=settings.import_batch_rows,
            lease=timedelta(seconds=settings.import_lease_seconds),
        )
        self.wakeup = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._loop(), name="attrium-import-runner")

    def wake(self) -> None:
        """A job was queued: look for it now rather than at the next poll."""
        self.wakeup.set()

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            try:
                worked = await self._run_one()
            except asyncio.CancelledError:
                raise
            except Exception:  # the runner must outlive any one job's failure
                logger.exception("import runner failed; retrying")
                worked = False
            if not worked:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wakeup.wait(), self.settings.import_poll_seconds)
                self.wakeup.clear()

    async def _run_one(self) -> bool:
        await service.abandon_idle_uploads(self.db, self.settings.import_upload_idle_seconds)
        job = await apply.claim_next(self.db, self.config)
        if job is None:
            return False
        try:
            await apply.run_job(self.db, self.settings, job, self.config)
        except asyncio.CancelledError:
            await asyncio.shield(apply.release(self.db, job, self.config))
            raise
        return True
