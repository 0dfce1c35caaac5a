"""Group commit: concurrent customer writes of one key share one transaction.

A key may have a few transactions under way at a time (its turns: one on SQLite,
two on PostgreSQL). A write that finds a turn free goes alone, through
`service.upsert`. Writes that find every turn taken queue; when a turn ends, the
queue is applied together by `batch.upsert_batch` (the same rules, set-based SQL)
in one transaction, and each write is answered only after that transaction
committed. A write a rule refuses is refused alone (and recorded as a write alone
is). If the batch fails as a whole before its commit (a concurrent writer took an
identifier, a database error), every write of it is retried alone, so that no write
fails because of another.

Why: per write, a transaction of its own costs its BEGIN, COMMIT and each statement's
round trip in this process's CPU; a batch pays them once (docs/benchmarks.md).
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from weakref import WeakKeyDictionary

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.auth.actor import Actor
from attrium.core.database import Database
from attrium.core.errors import AttriumError
from attrium.customers import service
from attrium.customers.batch import BatchOutcome, BatchWrite, upsert_batch
from attrium.customers.identity import CustomerRef
from attrium.customers.models import Customer, CustomerWrite, WriteOutcome
from attrium.customers.service import WriteOptions

MAX_BATCH = 64
# SQLite has one writer: a second transaction under way would only wait for the lock.
# On PostgreSQL a second one overlaps the first's round trips; more made each batch
# smaller and cost more CPU per write (docs/benchmarks.md, "Group commit").
POSTGRESQL_TURNS = 2


class Go(Enum):
    ALONE = "alone"  # apply it alone, in the key's turn (nothing else to join)
    RETRY = "retry"  # apply it alone: its batch failed before writing anything


# What a queued write is answered with: its outcome, the rule that refused it, or
# how to apply it alone.
Answer = WriteOutcome | AttriumError | Go
GroupKey = tuple[str, str | None, str]  # workspace, key, source: the activity rows' author


@dataclass(slots=True)
class _Queued:
    actor: Actor
    ref: CustomerRef
    write: CustomerWrite
    options: WriteOptions
    answer: "asyncio.Future[Answer]"

    def joins(self, lead: "_Queued") -> bool:
        return self.actor == lead.actor and self.options == lead.options


class WriteCoalescer:
    def __init__(self, db: Database, turns: int, max_batch: int = MAX_BATCH) -> None:
        self._db = db
        self._turns = turns  # transactions of one key under way at a time, alone or batched
        self._max_batch = max_batch
        self._under_way: dict[GroupKey, int] = {}
        self._queues: dict[GroupKey, list[_Queued]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def upsert(
        self, actor: Actor, ref: CustomerRef, write: CustomerWrite, options: WriteOptions
    ) -> WriteOutcome:
        """`service.upsert`, answered after a commit it may share with concurrent writes."""
        key = (actor.workspace_id, actor.key_id, actor.source)
        if self._under_way.get(key, 0) < self._turns:
            self._under_way[key] = self._under_way.get(key, 0) + 1
            return await self._alone(key, actor, ref, write, options)
        queued = _Queued(actor, ref, write, options, asyncio.get_running_loop().create_future())
        self._queues.setdefault(key, []).append(queued)
        try:
            answer = await queued.answer
        except asyncio.CancelledError:
            if _handed_turn(queued):
                self._next(key)
            raise
        if answer is Go.ALONE:
            return await self._alone(key, actor, ref, write, options)
        if answer is Go.RETRY:
            return await service.upsert(self._db, actor, ref, write, options)
        if isinstance(answer, AttriumError):
            await service.record_rejection(self._db, actor, answer, ref)
            raise answer
        return answer

    async def _alone(
        self,
        key: GroupKey,
        actor: Actor,
        ref: CustomerRef,
        write: CustomerWrite,
        options: WriteOptions,
    ) -> WriteOutcome:
        try:
            return await service.upsert(self._db, actor, ref, write, options)
        finally:
            self._next(key)

    def _next(self, key: GroupKey) -> None:
        """Hand a turn that ended to what queued meanwhile, or give it up."""
        batch = self._take(self._queues.get(key, []))
        if not batch:
            self._queues.pop(key, None)
            self._under_way[key] -= 1
            if not self._under_way[key]:
                del self._under_way[key]
        elif len(batch) == 1:
            _answer(batch[0], Go.ALONE)
        else:
            task = asyncio.get_running_loop().create_task(self._apply(key, batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _take(self, queue: list[_Queued]) -> list[_Queued]:
        """The next batch: writes like the first waiting one, one per customer reference.

        A second write to the same reference waits for the next batch, so that each
        answer shows the customer as its own write left it.
        """
        queue[:] = [item for item in queue if not item.answer.done()]  # cancelled
        if not queue:
            return []
        lead = queue[0]
        taken: list[_Queued] = []
        refs: set[CustomerRef] = set()
        for item in queue:
            if len(taken) == self._max_batch:
                break
            if item.joins(lead) and item.ref not in refs:
                taken.append(item)
                refs.add(item.ref)
        queue[:] = [item for item in queue if item not in taken]
        return taken

    async def _apply(self, key: GroupKey, batch: list[_Queued]) -> None:
        try:
            await self._apply_together(batch)
        except Exception as error:
            for item in batch:
                _fail(item, error)
            raise
        finally:
            self._next(key)

    async def _apply_together(self, batch: list[_Queued]) -> None:
        lead = batch[0]
        writes = [BatchWrite(item.ref, item.write) for item in batch]
        committing = False
        try:
            async with self._db.transaction() as connection:
                outcomes = await upsert_batch(
                    connection, lead.actor, writes, lead.options, record_rejections=False
                )
                written = await _customers(connection, lead.actor, outcomes)
                committing = True
        except Exception:
            if committing:
                raise  # whether the commit happened is unknown: as for a write alone, say so
            for item in batch:
                _answer(item, Go.RETRY)  # nothing was written: each write is retried alone
            return
        for item, outcome in zip(batch, outcomes, strict=True):
            _answer(item, _outcome(outcome, written))


def _handed_turn(queued: _Queued) -> bool:
    """Whether the key's turn was handed to this write (and must pass on)."""
    answer = queued.answer
    if not answer.done() or answer.cancelled() or answer.exception() is not None:
        return False
    return answer.result() is Go.ALONE


def _outcome(outcome: BatchOutcome, written: dict[str, Customer]) -> Answer:
    if outcome.error is not None:
        return outcome.error
    assert outcome.profile_id is not None
    return WriteOutcome(
        written[outcome.profile_id], outcome.created, outcome.changed, outcome.conflicts
    )


async def _customers(
    connection: AsyncConnection, actor: Actor, outcomes: Sequence[BatchOutcome]
) -> dict[str, Customer]:
    """The written customers as the batch's transaction left them (their rows are locked)."""
    profile_ids = sorted({o.profile_id for o in outcomes if o.error is None and o.profile_id})
    return await service.read_customers(connection, actor, profile_ids)


def _answer(item: _Queued, answer: Answer) -> None:
    if not item.answer.done():
        item.answer.set_result(answer)


def _fail(item: _Queued, error: Exception) -> None:
    if not item.answer.done():
        item.answer.set_exception(error)


_COALESCERS: "WeakKeyDictionary[Database, WriteCoalescer]" = WeakKeyDictionary()


def coalescer_of(db: Database) -> WriteCoalescer:
    """The one coalescer of a database (of its process)."""
    found = _COALESCERS.get(db)
    if found is None:
        turns = 1 if db.is_sqlite else POSTGRESQL_TURNS
        found = _COALESCERS[db] = WriteCoalescer(db, turns)
    return found
