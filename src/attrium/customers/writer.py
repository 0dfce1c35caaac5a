"""Group commit: every customer write of a process goes through its one writer.

A request hands its writes (one for a PUT or PATCH, up to a thousand for the batch
route) to the writer and waits. Writes that can share a transaction (the same key
through the same route family) form a group; a group has one transaction under way
at a time (two on PostgreSQL, below). When it ends, the group's waiting requests (up
to `MAX_BATCH_WRITES` writes) are applied together by `pipeline.apply`: one
transaction, a bounded number of statements, one commit. Each request is answered
only after that commit. Under no load a write goes at once, alone; under load, the
writes that arrive while a transaction is under way share the next one, so the cost
of a transaction (round trips, the commit's flush) is paid once per batch. Two
groups (two keys, or a dialect and the native API) write side by side, up to
`max_transactions` at once.

On PostgreSQL a group of updates (PATCH, update-only writes) has up to two
transactions under way (`per_group`): while one waits on the database (its round
trips, its commit's flush), the next one plans, instead of the process idling until
the first returns. Two transactions on the same customer still apply one after the
other: the second waits for the first's row lock, taken in profile id order by both,
so they cannot deadlock on it. Writes that may create customers keep to one: two
transactions creating the same customer would fail one whole (measured on the batch
route: 3,279 → 1,990 rows/s, docs/benchmarks.md). SQLite has one writer: a second
transaction would only wait for its lock.

When a transaction ends, the requests it answers come back (their clients' next
writes) a moment later. Started at once, the next transaction would take only the
few that arrived meanwhile, and the rest would wait for it: batches alternate
between nearly all and nearly none of the writers (or settle in two halves), and
each transaction carries half the writes it could. So when a group's transaction
ends, it counts the requests it answered and those waiting; its next batch waits
until three quarters of them are back, but no longer than the transaction took (up
to `MAX_GATHER_SECONDS`): a transaction of the few would have kept the rest waiting
about as long.

A write a rule refuses is refused alone (the pipeline records the refusal with the
batch). If a batch fails before its commit (a concurrent writer took an identifier,
a deadlock, a database error), each of its requests is applied again alone, so that
no write fails because of another.
"""

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.attributes import service as catalog
from attrium.attributes.models import CUSTOMER_NAMESPACE
from attrium.auth.actor import Actor
from attrium.core import metrics, sql
from attrium.core.database import Database
from attrium.core.errors import AttriumError, IdentifierConflict
from attrium.customers import pipeline, refusals
from attrium.customers.batches import BatchOutcome, BatchWrite
from attrium.customers.models import Customer, WriteOutcome
from attrium.customers.planning import WriteOptions

MAX_BATCH_WRITES = 1000
MAX_GATHER_SECONDS = 0.005
MAX_REMEMBERED_GROUPS = 10_000
MAX_WRITE_ATTEMPTS = 3

# More of the same request, applied to the written customer inside the write's
# transaction (a dialect's subscriptions or relationships), so that all of it
# applies or none does.
AfterWrite = Callable[[AsyncConnection, Customer], Awaitable[None]]

# What each write of a request is answered with: its outcome or the rule refusing it.
WriteResult = WriteOutcome | AttriumError


# Writes share a transaction when the same key writes them through the same route
# family: the activity entries name one key and source, and one set of rules applies.
GroupKey = tuple[str, str | None, str, WriteOptions] | int


@dataclass(slots=True)
class _Request:
    actor: Actor
    options: WriteOptions
    writes: Sequence[BatchWrite]
    then: AfterWrite | None
    answer: "asyncio.Future[list[WriteResult]]"

    @property
    def group(self) -> GroupKey:
        if self.then is not None:
            return id(self)  # applied alone, with the rest of its request
        actor = self.actor
        return (actor.workspace_id, actor.key_id, actor.source, self.options)


class Writer:
    """One queue per group of writes that may share a transaction; up to `per_group`
    transactions under way per group, and at most `max_transactions` in all."""

    def __init__(
        self,
        db: Database,
        max_transactions: int,
        per_group: int = 1,
        max_batch: int = MAX_BATCH_WRITES,
    ) -> None:
        self._db = db
        self._max_transactions = max_transactions
        self._per_group = per_group
        self._max_batch = max_batch
        self._queues: dict[GroupKey, deque[_Request]] = {}
        self._under_way_in: dict[GroupKey, int] = {}  # transactions under way, per group
        self._writers: dict[GroupKey, int] = {}  # requests answered and waiting, last commit
        self._took: dict[GroupKey, float] = {}  # seconds the group's last batch took
        self._gathering: dict[GroupKey, asyncio.TimerHandle] = {}
        self._gathered: set[GroupKey] = set()
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
        request = _Request(actor, options, writes, then, answer)
        self._queues.setdefault(request.group, deque()).append(request)
        self._start()
        return await answer

    def _start(self) -> None:
        """Start a transaction for every group that waits and has room for one, oldest
        group first, while there is room in all."""
        for group in list(self._queues):
            if self._under_way >= self._max_transactions:
                return
            if not self._has_room(group) or not self._ready(group):
                continue
            batch = self._take(group)
            if not batch:
                continue
            self._under_way_in[group] = self._under_way_in.get(group, 0) + 1
            self._under_way += 1
            task = asyncio.get_running_loop().create_task(self._run(group, batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _has_room(self, group: GroupKey) -> bool:
        """Whether the group may start a transaction: none under way; or, below
        `per_group`, one under way and only updates waiting. Writes that may create
        customers wait for the one under way: two transactions creating the same new
        customer would fail one of them whole, and its batch be retried write by write."""
        under_way = self._under_way_in.get(group, 0)
        if under_way == 0:
            return True
        if under_way >= self._per_group:
            return False
        return all(
            write.write.update_only for request in self._queues[group] for write in request.writes
        )

    def _ready(self, group: GroupKey) -> bool:
        """Whether the group's next batch may start: three quarters of its writers wait,
        or the gathering time is over (see the module's docstring)."""
        if len(self._queues[group]) * 4 >= self._writers.get(group, 0) * 3:
            waiting = self._gathering.pop(group, None)
            if waiting is not None:
                waiting.cancel()
            self._gathered.discard(group)
            return True
        if group in self._gathering:
            return False
        if group in self._gathered:
            self._gathered.discard(group)
            return True
        self._gathering[group] = asyncio.get_running_loop().call_later(
            min(self._took.get(group, 0.0), MAX_GATHER_SECONDS), self._gathering_over, group
        )
        return False

    def _gathering_over(self, group: GroupKey) -> None:
        del self._gathering[group]
        self._gathered.add(group)
        self._start()

    def _take(self, group: GroupKey) -> list[_Request]:
        """The group's waiting requests, up to `max_batch` writes (at least one request)."""
        queue = self._queues[group]
        taken: list[_Request] = []
        size = 0
        while queue:
            request = queue[0]
            if request.answer.done():  # its caller went away
                queue.popleft()
                continue
            if taken and size + len(request.writes) > self._max_batch:
                break
            taken.append(queue.popleft())
            size += len(request.writes)
        if not queue:
            del self._queues[group]
        return taken

    async def _run(self, group: GroupKey, batch: list[_Request]) -> None:
        started = time.perf_counter()
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
            if isinstance(group, tuple):  # a request applied alone makes no group
                if len(self._writers) > MAX_REMEMBERED_GROUPS:
                    self._writers.clear()  # forget idle groups (keys, workspaces) at once
                    self._took.clear()
                self._writers[group] = len(batch) + len(self._queues.get(group, ()))
                self._took[group] = time.perf_counter() - started
            if self._under_way_in[group] > 1:
                self._under_way_in[group] -= 1
            else:
                del self._under_way_in[group]
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
        await refusals.record_refusal(self._db, actor, write.ref, conflict)
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
        started = time.perf_counter()
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
            await refusals.record_refusal(self._db, actor, writes[0].ref, then_refused.error)
            return [then_refused.error]
        except Exception as error:
            if committing:
                raise  # whether the commit happened is unknown: say so, as for any write
            unique = isinstance(error, IntegrityError) and sql.is_unique_violation(error)
            raise _NothingWritten(error, unique, sql.is_aborted_transaction(error)) from error
        metrics.WRITE_BATCH_SIZE.observe(len(writes))
        metrics.WRITE_BATCH_SECONDS.observe(time.perf_counter() - started)
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
        found = _WRITERS[db] = Writer(db, max_transactions(db), 1 if db.is_sqlite else 2)
    return found


def max_transactions(db: Database) -> int:
    """Write transactions under way at a time: SQLite has one writer (a second would
    only wait for its lock); on PostgreSQL, half the pool, the rest left to readers."""
    return 1 if db.is_sqlite else max(1, db.pool_size // 2)
