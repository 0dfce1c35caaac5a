"""Group commit: every customer write of a process goes through its one writer.

A request hands its writes (one for a PUT or PATCH, up to a thousand for the batch
route) to the writer and waits. The writer keeps a few transactions under way at a
time (its turns: one on SQLite, which has one writer anyway, two on PostgreSQL, where
a second overlaps the first's round trips). When a turn is free it takes the waiting
requests that can share a transaction (same actor and route family, up to
`MAX_BATCH_WRITES` writes) and applies them together with `pipeline.apply`: one
transaction, a bounded number of statements, one commit. Each request is answered
only after that commit. Under no load a write goes at once, alone; under load,
writes that arrive while a transaction is under way share the next one, so the cost
of a transaction (round trips, the commit's flush) is paid once per batch.

A write a rule refuses is refused alone (the pipeline records the refusal with the
batch). If a batch fails before its commit (a concurrent writer took an identifier,
a deadlock, a database error), each of its requests is applied again alone, so that
no write fails because of another.
"""

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.attributes import service as catalog
from attrium.attributes.models import CUSTOMER_NAMESPACE
from attrium.auth.actor import Actor
from attrium.core import sql
from attrium.core.database import Database
from attrium.core.errors import AttriumError, IdentifierConflict
from attrium.customers import pipeline
from attrium.customers.models import Customer, WriteOutcome
from attrium.customers.pipeline import BatchOutcome, BatchWrite
from attrium.customers.planning import WriteOptions

MAX_BATCH_WRITES = 256
# SQLite has one writer: a second transaction under way would only wait for its lock.
# On PostgreSQL a second one overlaps the first's round trips (docs/benchmarks.md).
POSTGRESQL_TURNS = 2
MAX_WRITE_ATTEMPTS = 3

# More of the same request, applied to the written customer inside the write's
# transaction (a dialect's subscriptions or relationships), so that all of it
# applies or none does.
AfterWrite = Callable[[AsyncConnection, Customer], Awaitable[None]]

# What each write of a request is answered with: its outcome or the rule refusing it.
WriteResult = WriteOutcome | AttriumError


@dataclass(slots=True)
class _Request:
    actor: Actor
    options: WriteOptions
    writes: Sequence[BatchWrite]
    then: AfterWrite | None
    answer: "asyncio.Future[list[WriteResult]]"

    def joins(self, lead: "_Request") -> bool:
        return (
            self.then is None
            and lead.then is None
            and self.actor == lead.actor
            and self.options == lead.options
        )


class Writer:
    def __init__(self, db: Database, turns: int, max_batch: int = MAX_BATCH_WRITES) -> None:
        self._db = db
        self._turns = turns
        self._max_batch = max_batch
        self._queue: deque[_Request] = deque()
        self._under_way = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def apply(
        self,
        actor: Actor,
        writes: Sequence[BatchWrite],
        options: WriteOptions,
        then: AfterWrite | None = None,
    ) -> list[WriteResult]:
        """Apply `writes` in order; answered once committed, one result per write."""
        answer: asyncio.Future[list[WriteResult]] = asyncio.get_running_loop().create_future()
        self._queue.append(_Request(actor, options, writes, then, answer))
        self._start()
        return await answer

    def _start(self) -> None:
        while self._under_way < self._turns:
            batch = self._take()
            if not batch:
                return
            self._under_way += 1
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _take(self) -> list[_Request]:
        """The next batch: the first waiting request and those that can join it."""
        queue = self._queue
        while queue and queue[0].answer.done():  # its caller went away
            queue.popleft()
        if not queue:
            return []
        lead = queue.popleft()
        taken = [lead]
        size = len(lead.writes)
        kept: deque[_Request] = deque()
        while queue:
            item = queue.popleft()
            if item.answer.done():
                continue
            if size + len(item.writes) <= self._max_batch and item.joins(lead):
                taken.append(item)
                size += len(item.writes)
            else:
                kept.append(item)
        self._queue = kept
        return taken

    async def _run(self, batch: list[_Request]) -> None:
        try:
            if len(batch) == 1:
                await self._alone(batch[0])
            elif not await self._together(batch):
                for request in batch:
                    await self._alone(request)
        except BaseException as error:
            for request in batch:
                _fail(request, error)
            raise
        finally:
            self._under_way -= 1
            self._start()

    async def _together(self, batch: list[_Request]) -> bool:
        """Apply requests in one transaction; False if it failed before its commit."""
        lead = batch[0]
        writes = [write for request in batch for write in request.writes]
        try:
            results = await self._transaction(lead.actor, writes, lead.options, None)
        except _NothingWritten:
            return False
        start = 0
        for request in batch:
            _answer(request, results[start : start + len(request.writes)])
            start += len(request.writes)
        return True

    async def _alone(self, request: _Request) -> None:
        """A request in transactions of its own, retried when a concurrent writer took an
        identifier it names (the next attempt sees who holds it) or the database broke a
        deadlock by aborting it."""
        for attempt in range(1, MAX_WRITE_ATTEMPTS + 1):
            try:
                results = await self._transaction(
                    request.actor, request.writes, request.options, request.then
                )
            except _NothingWritten as failed:
                if attempt < MAX_WRITE_ATTEMPTS and (failed.unique_violation or failed.aborted):
                    continue
                if not failed.unique_violation:
                    raise failed.cause from None
                if len(request.writes) > 1:
                    _answer(request, await self._one_by_one(request))
                else:
                    _answer(request, [await self._conflict(request.actor, request.writes[0])])
                return
            _answer(request, results)
            return

    async def _one_by_one(self, request: _Request) -> list[WriteResult]:
        results: list[WriteResult] = []
        for write in request.writes:
            try:
                results.extend(
                    await self._transaction(request.actor, [write], request.options, None)
                )
            except _NothingWritten as failed:
                if not failed.unique_violation:
                    raise failed.cause from None
                results.append(await self._conflict(request.actor, write))
        return results

    async def _conflict(self, actor: Actor, write: BatchWrite) -> AttriumError:
        conflict = IdentifierConflict(
            "an identifier in the request was taken by a concurrent write; retry"
        )
        await pipeline.record_refusal(self._db, actor, write.ref, conflict)
        return conflict

    async def _transaction(
        self,
        actor: Actor,
        writes: Sequence[BatchWrite],
        options: WriteOptions,
        then: AfterWrite | None,
    ) -> list[WriteResult]:
        """One transaction applying `writes`; _NothingWritten if it failed before its commit."""
        committing = False
        try:
            async with self._db.transaction() as connection:
                outcomes = await pipeline.apply(connection, actor, writes, options)
                results = await _results(connection, actor, outcomes)
                if then is not None and isinstance(results[0], WriteOutcome):
                    try:
                        await then(connection, results[0].customer)
                    except AttriumError as refused:
                        raise _ThenRefused(refused) from refused
                committing = True
        except _ThenRefused as then_refused:
            # The rest of the request was refused: nothing of it was written.
            await pipeline.record_refusal(self._db, actor, writes[0].ref, then_refused.error)
            return [then_refused.error]
        except Exception as error:
            if committing:
                raise  # whether the commit happened is unknown: say so, as for any write
            unique = isinstance(error, IntegrityError) and sql.is_unique_violation(error)
            raise _NothingWritten(error, unique, sql.is_aborted_transaction(error)) from error
        return results


class _ThenRefused(Exception):
    def __init__(self, error: AttriumError) -> None:
        super().__init__(error.detail)
        self.error = error


class _NothingWritten(Exception):
    def __init__(self, cause: Exception, unique_violation: bool, aborted: bool) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.unique_violation = unique_violation
        self.aborted = aborted


async def _results(
    connection: AsyncConnection, actor: Actor, outcomes: Sequence[BatchOutcome]
) -> list[WriteResult]:
    defaults = await catalog.defaults(connection, actor, CUSTOMER_NAMESPACE)
    results: list[WriteResult] = []
    for outcome in outcomes:
        if outcome.error is not None:
            results.append(outcome.error)
            continue
        assert outcome.customer is not None
        state = outcome.customer
        customer = Customer.from_row(state.row, state.custom_identifiers, defaults)
        results.append(WriteOutcome(customer, outcome.created, outcome.changed, outcome.conflicts))
    return results


def _answer(request: _Request, results: list[WriteResult]) -> None:
    if not request.answer.done():
        request.answer.set_result(results)


def _fail(request: _Request, error: BaseException) -> None:
    if not request.answer.done():
        if isinstance(error, asyncio.CancelledError):
            request.answer.cancel()
        else:
            request.answer.set_exception(error)


_WRITERS: "WeakKeyDictionary[Database, Writer]" = WeakKeyDictionary()


def writer_of(db: Database) -> Writer:
    """The one writer of a database (of its process)."""
    found = _WRITERS.get(db)
    if found is None:
        turns = 1 if db.is_sqlite else POSTGRESQL_TURNS
        found = _WRITERS[db] = Writer(db, turns)
    return found
