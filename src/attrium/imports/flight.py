"""An import's batches in flight together: the next one reads, locks and plans while
this one writes and commits, and writes only once this one committed.

A batch's rules need what the batch before it wrote, so its checks and plans run
after that batch's locks: a customer the batch before holds locked is read once it
committed; one it is creating is not seen, and the unique index makes this batch
retry row by row once that one committed (as with any concurrent writer). Progress
still commits in order, with the batch it counts. On PostgreSQL only: SQLite has one
writer at a time.
"""

import asyncio
from collections import deque
from collections.abc import Coroutine
from typing import Any


class BatchTurn:
    """`customers.batches.WriteTurn` of one batch: its writes wait for the batch
    before it to commit, and it says when the next batch may start planning."""

    def __init__(self, before: "asyncio.Future[None] | None") -> None:
        self._before = before
        self.planned = asyncio.Event()

    def last_round_planned(self) -> None:
        self.planned.set()

    async def wait(self) -> None:
        """Return once the batch before committed; raise what stopped it, if anything."""
        if self._before is not None:
            # Shielded: this batch giving up must not cancel the one before it.
            await asyncio.shield(self._before)


class InFlight:
    """The batches being applied, oldest first, at most `depth` of them."""

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self._tasks: deque[asyncio.Future[None]] = deque()

    def next_turn(self) -> BatchTurn:
        return BatchTurn(self._tasks[-1] if self._tasks else None)

    async def start(self, work: Coroutine[Any, Any, None], turn: BatchTurn) -> None:
        """Start applying a batch; return once the next one may start (this one planned
        its last round, or is done), raising the error of any batch that failed."""
        task = asyncio.ensure_future(work)
        self._tasks.append(task)
        planned = asyncio.ensure_future(turn.planned.wait())
        try:
            await asyncio.wait({task, planned}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            planned.cancel()
        while self._tasks and (len(self._tasks) >= self.depth or self._tasks[0].done()):
            await self._tasks.popleft()

    async def finish(self) -> None:
        """Wait for every batch in flight, in order, raising the first failure."""
        while self._tasks:
            await self._tasks.popleft()

    async def cancel(self) -> None:
        """Stop the batches in flight (their transactions roll back)."""
        tasks, self._tasks = list(self._tasks), deque()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
