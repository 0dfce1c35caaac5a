"""Running import jobs: apply an upload in batches that survive restarts.

A job's progress (the next record to read and its counters) commits in the same
transaction as the batch it counts, so a runner that dies mid-batch leaves nothing
half-applied, and the next runner to claim the job resumes after the last committed
batch. Rows apply through the customers' batch pipeline (`customers.pipeline`):
the API's rules, one implementation. The next batch is read and parsed while one is
applied (its SQL leaves this process idle), and on PostgreSQL locked, checked and
planned while this one writes (`imports.flight`); it writes after this one commits.
"""

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import asdict, dataclass, fields
from datetime import timedelta
from typing import Any, NamedTuple

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.auth.actor import Actor
from attrium.core import metrics, sql
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.errors import AttriumError, IdentifierConflict, IdentifierSuppressed, NotFound
from attrium.core.settings import Settings
from attrium.customers import pipeline
from attrium.customers import service as customers
from attrium.customers.batches import BatchOutcome, BatchWrite
from attrium.imports import store
from attrium.imports.flight import BatchTurn, InFlight
from attrium.imports.formats import (
    CsvColumn,
    ImportFormat,
    csv_header,
    csv_write,
    ndjson_write,
    text_of,
)
from attrium.imports.records import Record, RecordSplitter
from attrium.workspaces import service as workspaces

ParsedRow = tuple[int, BatchWrite | AttriumError]
Batch = tuple[list[ParsedRow], bool]  # its rows, and whether it is the last
_PARSE_SLICE_ROWS = 100  # rows parsed between two chances for the applying batch to resume
# A batch also ends once its lines hold this much: 1,000 lines of 1 MiB each (valid JSON,
# refused only when applied) once held 1.5 GB, in the batch applied and the one read ahead.
BATCH_TEXT_BYTES = 4 * 1024**2


class LeaseLost(Exception):
    """Another runner took the job over (this one was presumed dead)."""


@dataclass(frozen=True, slots=True)
class RunnerConfig:
    owner: str
    batch_rows: int
    lease: timedelta
    batch_text_bytes: int = BATCH_TEXT_BYTES


# A job applying this many rows leaves PostgreSQL's planner statistics of customers
# behind until autovacuum's analyse comes round; without them the write path's lock
# query scanned the workspace (27 ms for 200 ids instead of an index scan).
ANALYZE_AFTER_ROWS = 10_000


async def claim_next(db: Database, config: RunnerConfig) -> dict[str, Any] | None:
    now = utcnow()
    async with db.transaction() as connection:
        return await store.claim_next(connection, config.owner, now, now + config.lease)


async def release(db: Database, job: dict[str, Any], config: RunnerConfig) -> None:
    """Let another runner resume the job at once (on shutdown)."""
    async with db.transaction() as connection:
        await store.advance(connection, job["workspace_id"], job["job_id"], config.owner, utcnow())


async def run_job(
    db: Database,
    settings: Settings,
    job: dict[str, Any],
    config: RunnerConfig,
    *,
    max_batches: int | None = None,
) -> None:
    """Apply a claimed job from its next record to the end, one committed batch at a
    time (on PostgreSQL the next batch plans while one writes: `imports.flight`)."""
    actor = await _actor_of(db, job)
    options = customers.native_options(actor, settings)
    progress = _Progress.of(job)
    applied_before = progress.applied
    batches = _read_ahead(_batches(db, job, settings, config))
    flight = InFlight(depth=1 if db.is_sqlite else 2)
    started = 0
    try:
        async for batch, last in batches:
            turn = flight.next_turn()
            work = _commit_batch(db, actor, job, config, options, batch, progress, turn, last)
            await flight.start(work, turn)
            started += 1
            if max_batches is not None and started >= max_batches:
                break
        await flight.finish()
        if progress.applied - applied_before >= ANALYZE_AFTER_ROWS:
            await customers.refresh_planner_statistics(db)
    except LeaseLost:
        return
    except AttriumError as error:
        # The batches read before a read error still commit; after a batch's own
        # error, those behind it stop with it.
        with contextlib.suppress(AttriumError, LeaseLost):
            await flight.finish()
        await _fail(db, job, config, error.detail)
    finally:
        await flight.cancel()
        await batches.aclose()


async def _actor_of(db: Database, job: dict[str, Any]) -> Actor:
    workspace = await workspaces.get(db, job["workspace_id"])
    return Actor(workspace, job["key_id"], frozenset(job["scopes"]), source="import")


class _Counted(NamedTuple):
    applied: int
    rejected: int


@dataclass(slots=True)
class _Progress:
    next_record: int
    rows_read: int
    applied: int
    rejected: int
    conflicts: int

    @classmethod
    def of(cls, job: dict[str, Any]) -> "_Progress":
        return cls(**{column.name: job[column.name] for column in fields(cls)})

    def values(self) -> dict[str, int]:
        return asdict(self)


async def _batches(
    db: Database, job: dict[str, Any], settings: Settings, config: RunnerConfig
) -> AsyncGenerator[Batch, None]:
    """The job's rows after its next record in batches of `batch_rows` (fewer once
    their lines hold `batch_text_bytes`), each with whether it is the last (which may
    be empty)."""
    batch: list[ParsedRow] = []
    text_bytes = 0
    async for parsed, record_bytes in _rows(db, job, settings):
        batch.append(parsed)
        text_bytes += record_bytes
        if len(batch) >= config.batch_rows or text_bytes >= config.batch_text_bytes:
            yield batch, False
            batch = []
            text_bytes = 0
        elif len(batch) % _PARSE_SLICE_ROWS == 0:
            await asyncio.sleep(0)  # let the batch being applied go on as its SQL answers
    yield batch, True


async def _read_ahead(batches: AsyncGenerator[Batch, None]) -> AsyncGenerator[Batch, None]:
    """The batches of `batches`, the next one read and parsed while the caller applies
    this one (its SQL leaves this process idle)."""
    ahead = asyncio.ensure_future(anext(batches))
    try:
        while True:
            batch, last = await ahead
            if not last:
                ahead = asyncio.ensure_future(anext(batches))
            yield batch, last
            if last:
                return
    finally:
        ahead.cancel()
        await asyncio.gather(ahead, return_exceptions=True)
        await batches.aclose()


async def _rows(
    db: Database, job: dict[str, Any], settings: Settings
) -> AsyncIterator[tuple[ParsedRow, int]]:
    """Each data record after the job's next record: (record number, write or error),
    and the bytes of its line."""
    import_format = ImportFormat(job["format"])
    max_identifier_bytes = settings.max_identifier_bytes
    splitter = RecordSplitter(import_format is ImportFormat.CSV, settings.max_import_line_bytes)
    columns: list[CsvColumn] | None = None
    number = 0
    async for record in _records(db, job, splitter):
        number += 1
        if import_format is ImportFormat.CSV and columns is None:
            columns = csv_header(text_of(record, first=True))
            continue
        if number <= job["next_record"] or _blank(record):
            continue
        record_bytes = len(record) if isinstance(record, bytes) else 0
        yield _parsed(number, record, columns, max_identifier_bytes), record_bytes


def _parsed(
    number: int, record: Record, columns: list[CsvColumn] | None, max_identifier_bytes: int
) -> ParsedRow:
    try:
        text = text_of(record, first=number == 1)
        if columns is not None:
            return number, csv_write(text, columns, max_identifier_bytes)
        return number, ndjson_write(text, max_identifier_bytes)
    except AttriumError as error:
        # Its traceback would hold the parsed row (and this frame, a cycle) until a
        # full garbage collection: the row is refused, only its error is kept.
        return number, error.with_traceback(None)


def _blank(record: Record) -> bool:
    return isinstance(record, bytes) and not record.strip()


async def _records(
    db: Database, job: dict[str, Any], splitter: RecordSplitter
) -> AsyncIterator[Record]:
    for seq in range(job["chunks"]):
        async with db.reader() as connection:
            data = await store.read_chunk(connection, job["workspace_id"], job["job_id"], seq)
        if data is None:
            raise NotFound(f"chunk {seq} of the upload is missing")
        for record in splitter.feed(data):
            yield record
    for record in splitter.close():
        yield record


async def _commit_batch(
    db: Database,
    actor: Actor,
    job: dict[str, Any],
    config: RunnerConfig,
    options: customers.WriteOptions,
    batch: list[ParsedRow],
    progress: _Progress,
    turn: BatchTurn,
    last: bool,
) -> None:
    writes = [(line, parsed) for line, parsed in batch if isinstance(parsed, BatchWrite)]
    try:
        async with db.transaction() as connection:
            outcomes = await pipeline.apply(
                connection, actor, [w for _, w in writes], options, turn
            )
            await turn.wait()  # progress commits in order, after the batch before
            counted = await _record(
                connection, actor, job, config, batch, writes, outcomes, progress, last
            )
    except IntegrityError as error:
        if not sql.is_unique_violation(error):
            raise
        # A concurrent writer took an identifier: apply this batch one row at a time.
        await turn.wait()
        async with db.transaction() as connection:
            outcomes = [await _one(connection, actor, write, options) for _, write in writes]
            counted = await _record(
                connection, actor, job, config, batch, writes, outcomes, progress, last
            )
    # Counted once committed: a batch rolled back (lease lost, crash) is redone elsewhere.
    metrics.IMPORT_ROWS.labels("applied").inc(counted.applied)
    metrics.IMPORT_ROWS.labels("rejected").inc(counted.rejected)


async def _one(
    connection: AsyncConnection, actor: Actor, write: BatchWrite, options: customers.WriteOptions
) -> BatchOutcome:
    try:
        async with connection.begin_nested():
            [outcome] = await pipeline.apply(connection, actor, [write], options)
            return outcome
    except IntegrityError:
        message = "an identifier in the row was taken by a concurrent write"
        return BatchOutcome(error=IdentifierConflict(message))


async def _record(
    connection: AsyncConnection,
    actor: Actor,
    job: dict[str, Any],
    config: RunnerConfig,
    batch: list[ParsedRow],
    writes: list[tuple[int, BatchWrite]],
    outcomes: list[BatchOutcome],
    progress: _Progress,
    last: bool,
) -> "_Counted":
    """Count the batch and store its rejected rows, if this runner still holds the job."""
    applied, rejected = progress.applied, progress.rejected
    outcome_of = {line: outcome for (line, _), outcome in zip(writes, outcomes, strict=True)}
    named = await _refused_customers(connection, actor, batch)
    error_rows = []
    for line, parsed in batch:
        outcome = outcome_of.get(line) or BatchOutcome(
            error=parsed if isinstance(parsed, AttriumError) else None
        )
        progress.rows_read += 1
        if outcome.error is not None:
            progress.rejected += 1
            # A suppressed identifier's value must not come back through the report.
            shown = None if isinstance(outcome.error, IdentifierSuppressed) else parsed
            customer = str(shown.ref) if isinstance(shown, BatchWrite) else named.get(line)
            error_rows.append(
                _error_row(job, line, customer, outcome.error.detail, outcome.error.errors, False)
            )
            continue
        progress.applied += 1
        if outcome.conflicts:
            progress.conflicts += 1
            reason = "; ".join(c.reason for c in outcome.conflicts)
            fields = [
                {"field": c.field, "rule": "identifier.conflict", "message": c.reason}
                for c in outcome.conflicts
            ]
            assert isinstance(parsed, BatchWrite)
            error_rows.append(_error_row(job, line, str(parsed.ref), reason, fields, True))
    if batch:
        progress.next_record = batch[-1][0]
    await store.insert_errors(connection, error_rows)
    now = utcnow()
    finished = {"state": "done", "finished_at": now} if last else {}
    held = await store.advance(
        connection,
        job["workspace_id"],
        job["job_id"],
        config.owner,
        now + config.lease,
        updated_at=now,
        **progress.values(),
        **finished,
    )
    if not held:
        raise LeaseLost(job["job_id"])
    if last:
        await store.delete_chunks(connection, job["workspace_id"], job["job_id"])
    return _Counted(progress.applied - applied, progress.rejected - rejected)


async def _refused_customers(
    connection: AsyncConnection, actor: Actor, batch: list[ParsedRow]
) -> dict[int, str]:
    """Rows refused while parsed, by line: the customer each names, unless suppressed."""
    refs = await customers.shown_refs(connection, actor, [parsed for _, parsed in batch])
    return {line: str(ref) for (line, _), ref in zip(batch, refs, strict=True) if ref}


def _error_row(
    job: dict[str, Any],
    line: int,
    customer: str | None,
    reason: str,
    errors: Any,
    applied: bool,
) -> dict[str, Any]:
    return {
        "workspace_id": job["workspace_id"],
        "job_id": job["job_id"],
        "line": line,
        "customer_ref": customer,
        "applied": applied,
        "reason": reason,
        "errors": [e if isinstance(e, dict) else e.as_dict() for e in errors] or None,
    }


async def _fail(db: Database, job: dict[str, Any], config: RunnerConfig, reason: str) -> None:
    now = utcnow()
    async with db.transaction() as connection:
        await store.advance(
            connection,
            job["workspace_id"],
            job["job_id"],
            config.owner,
            now,
            state="failed",
            error=reason,
            finished_at=now,
            updated_at=now,
        )
        await store.delete_chunks(connection, job["workspace_id"], job["job_id"])
