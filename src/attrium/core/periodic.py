"""A round of background work repeated while the server runs (one per process)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger("attrium.core.periodic")


class Periodic:
    """Runs `work` every `every_seconds` (0: never) from `start` to `stop`; first at
    once, or after the first wait. A failed round is logged and the next one retries:
    the task must outlive it."""

    def __init__(
        self,
        name: str,
        every_seconds: float,
        work: Callable[[], Awaitable[object]],
        *,
        at_once: bool,
    ) -> None:
        self.name = name
        self.every_seconds = every_seconds
        self.work = work
        self.at_once = at_once
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.every_seconds > 0:
            self.task = asyncio.create_task(self._loop(), name=f"attrium-{self.name}")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    async def _loop(self) -> None:
        if not self.at_once:
            await asyncio.sleep(self.every_seconds)
        while True:
            try:
                await self.work()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("%s failed; retrying", self.name)
            await asyncio.sleep(self.every_seconds)
