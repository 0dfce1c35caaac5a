"""Import jobs: accept an upload, then apply it in batches that survive restarts.

The upload is kept in the database in chunks; a job's progress (the next record to
read and its counters) commits in the same transaction as the batch it counts, so
a runner that dies mid-batch leaves nothing half-applied, and the next runner to
claim the job resumes after the last committed batch.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.auth.actor import Actor
from attrium.core import metrics, sql
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.errors import (
    AttriumError,
    FieldError,
    IdentifierConflict,
    IdentifierSuppressed,
    NotFound,
    RequestTimeout,
    ValidationFailed,
)
from attrium.core.ids import new_ulid
from attrium.core.pagination import Page, decode_cursor, encode_cursor
from attrium.core.settings import Settings
from attrium.customers import service as customers
from attrium.customers.batch import BatchOutcome, BatchWrite, upsert_batch
from attrium.identity.suppressions import suppression_errors
from attrium.imports import store
from attrium.imports.formats import (
    CsvColumn,
    ImportFormat,
    RecordSplitter,
    RowInvalid,
    csv_header,
    csv_write,
    ndjson_write,
    text_of,
)
from attrium.workspaces import service as workspaces

ParsedRow = tuple[int, BatchWrite | AttriumError]
ABANDONED = "the upload stopped before its end"


@dataclass(frozen=True, slots=True)
class ImportJob:
    job_id: str
    state: str
    format: str
    upload_bytes: int
    rows_read: int
    applied: int
    rejected: int
    conflicts: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def rows_per_second(self) -> float | None:
        if self.started_at is None or not self.rows_read:
            return None
        elapsed = ((self.finished_at or utcnow()) - self.started_at).total_seconds()
        return round(self.rows_read / elapsed, 1) if elapsed > 0 else None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "ImportJob":
        return cls(
            job_id=row["job_id"],
            state=row["state"],
            format=row["format"],
            upload_bytes=row["upload_bytes"],
            rows_read=row["rows_read"],
            applied=row["applied"],
            rejected=row["rejected"],
            conflicts=row["conflicts"],
            error=row["error"],
            created_at=row["created_at"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
        )


async def create_job(
    db: Database,
    actor: Actor,
    import_format: ImportFormat,
    body: AsyncIterator[bytes],
    chunk_bytes: int,
    idempotency_key: str | None,
) -> tuple[ImportJob, bool]:
    """Store an upload as a queued job; (job, created). A known idempotency key returns its job."""
    if idempotency_key is not None:
        found = await _by_idempotency_key(db, actor, idempotency_key)
        if found:
            return found, False
    job_id = "imp_" + new_ulid().lower()
    now = utcnow()
    try:
        async with db.transaction() as connection:
            await store.insert_job(
                connection, _new_job_row(actor, job_id, import_format, now, idempotency_key)
            )
    except IntegrityError:
        if idempotency_key is None:
            raise
        found = await _by_idempotency_key(db, actor, idempotency_key)
        if found is None:
            raise
        return found, False
    try:
        size, chunks = await _store_upload(db, actor.workspace_id, job_id, body, chunk_bytes)
    except Exception:  # a client gone mid-upload, a body timeout, a too large body
        await _give_up_upload(db, actor.workspace_id, job_id)
        raise
    async with db.transaction() as connection:
        queued = await store.end_upload(
            connection,
            actor.workspace_id,
            job_id,
            state="queued",
            upload_bytes=size,
            chunks=chunks,
            updated_at=utcnow(),
        )
    if not queued:
        raise _GIVEN_UP
    return await get_job(db, actor, job_id), True


_GIVEN_UP = RequestTimeout(
    "the upload was idle longer than ATTRIUM_IMPORT_UPLOAD_IDLE_SECONDS and was given up"
)


async def _give_up_upload(db: Database, workspace_id: str, job_id: str) -> None:
    now = utcnow()
    async with db.transaction() as connection:
        ended = await store.end_upload(
            connection,
            workspace_id,
            job_id,
            state="failed",
            error=ABANDONED,
            finished_at=now,
            updated_at=now,
        )
        if ended:
            await store.delete_chunks(connection, workspace_id, job_id)


async def abandon_idle_uploads(db: Database, idle_seconds: float) -> int:
    """Fail the uploads that stored nothing for `idle_seconds` (their server died mid-upload)."""
    now = utcnow()
    async with db.transaction() as connection:
        return await store.abandon_uploads(
            connection, now - timedelta(seconds=idle_seconds), now, ABANDONED
        )


def _new_job_row(
    actor: Actor, job_id: str, import_format: ImportFormat, now: datetime, key: str | None
) -> dict[str, Any]:
    return {
        "workspace_id": actor.workspace_id,
        "job_id": job_id,
        "state": "uploading",
        "format": import_format.value,
        "idempotency_key": key,
        "key_id": actor.key_id,
        "scopes": sorted(actor.scopes),
        "upload_bytes": 0,
        "chunks": 0,
        "next_record": 0,
        "rows_read": 0,
        "applied": 0,
        "rejected": 0,
        "conflicts": 0,
        "created_at": now,
        "updated_at": now,
    }


async def _by_idempotency_key(db: Database, actor: Actor, key: str) -> ImportJob | None:
    async with db.reader() as connection:
        row = await store.find_by_idempotency_key(connection, actor.workspace_id, key)
    return ImportJob.from_row(row) if row else None


async def _store_upload(
    db: Database, workspace_id: str, job_id: str, body: AsyncIterator[bytes], chunk_bytes: int
) -> tuple[int, int]:
    """Write the body in chunks of `chunk_bytes`, each in its own short transaction."""
    size = 0
    seq = 0
    pending = bytearray()
    async for piece in body:
        pending.extend(piece)
        size += len(piece)
        while len(pending) >= chunk_bytes:
            await _write_chunk(db, workspace_id, job_id, seq, bytes(pending[:chunk_bytes]))
            del pending[:chunk_bytes]
            seq += 1
    if pending:
        await _write_chunk(db, workspace_id, job_id, seq, bytes(pending))
        seq += 1
    if size == 0:
        async with db.transaction() as connection:
            await store.update_job(
                connection,
                workspace_id,
                job_id,
                state="failed",
                error="empty upload",
                updated_at=utcnow(),
            )
        message = "the upload is empty"
        raise ValidationFailed(message, [FieldError("body", "required", message)])
    return size, seq


async def _write_chunk(db: Database, workspace_id: str, job_id: str, seq: int, data: bytes) -> None:
    async with db.transaction() as connection:
        stored = await store.insert_chunk(connection, workspace_id, job_id, seq, data, utcnow())
    if not stored:
        raise _GIVEN_UP


async def get_job(db: Database, actor: Actor, job_id: str) -> ImportJob:
    async with db.reader() as connection:
        row = await store.read_job(connection, actor.workspace_id, job_id)
    if row is None:
        raise NotFound(f"no import job {job_id!r}")
    return ImportJob.from_row(row)


async def list_jobs(db: Database, actor: Actor, cursor: str | None, limit: int) -> Page[ImportJob]:
    before = decode_cursor(cursor)
    async with db.reader() as connection:
        rows = await store.list_jobs(connection, actor.workspace_id, before, limit + 1)
    jobs = [ImportJob.from_row(row) for row in rows[:limit]]
    return Page(jobs, encode_cursor(jobs[-1].job_id) if len(rows) > limit else None)


async def rejected_rows(
    db: Database, actor: Actor, job_id: str, cursor: str | None, limit: int
) -> Page[dict[str, Any]]:
    """The rows a job refused (or applied with an identifier conflict), by line."""
    await get_job(db, actor, job_id)
    after = decode_cursor(cursor)
    after_line = after if isinstance(after, int) else 0
    async with db.reader() as connection:
        rows = await store.errors_page(
            connection, actor.workspace_id, job_id, after_line, limit + 1
        )
    items = [
        {
            "line": row["line"],
            "customer": row["customer_ref"],
            "applied": row["applied"],
            "reason": row["reason"],
            "errors": row["errors"] or [],
        }
        for row in rows[:limit]
    ]
    return Page(items, encode_cursor(items[-1]["line"]) if len(rows) > limit else None)


# Running jobs.


class LeaseLost(Exception):
    """Another runner took the job over (this one was presumed dead)."""


@dataclass(frozen=True, slots=True)
class RunnerConfig:
    owner: str
    batch_rows: int
    lease: timedelta


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
    """Apply a claimed job from its next record to the end, one committed batch at a time."""
    actor = await _actor_of(db, job)
    options = customers.native_options(actor, settings)
    progress = _Progress.of(job)
    batch: list[ParsedRow] = []
    batches = 0
    try:
        async for parsed in _rows(db, job, settings.max_identifier_bytes):
            batch.append(parsed)
            if len(batch) >= config.batch_rows:
                await _commit_batch(db, actor, job, config, options, batch, progress)
                batch = []
                batches += 1
                if max_batches is not None and batches >= max_batches:
                    return
        await _commit_batch(db, actor, job, config, options, batch, progress, last=True)
    except LeaseLost:
        return
    except AttriumError as error:
        await _fail(db, job, config, error.detail)


async def _actor_of(db: Database, job: dict[str, Any]) -> Actor:
    workspace = await workspaces.get(db, job["workspace_id"])
    return Actor(workspace, job["key_id"], frozenset(job["scopes"]), source="import")


@dataclass(slots=True)
class _Progress:
    next_record: int
    rows_read: int
    applied: int
    rejected: int
    conflicts: int

    @classmethod
    def of(cls, job: dict[str, Any]) -> "_Progress":
        return cls(
            job["next_record"], job["rows_read"], job["applied"], job["rejected"], job["conflicts"]
        )

    def values(self) -> dict[str, int]:
        return {
            "next_record": self.next_record,
            "rows_read": self.rows_read,
            "applied": self.applied,
            "rejected": self.rejected,
            "conflicts": self.conflicts,
        }


async def _rows(
    db: Database, job: dict[str, Any], max_identifier_bytes: int
) -> AsyncIterator[ParsedRow]:
    """Each data record after the job's next record: (record number, write or error)."""
    import_format = ImportFormat(job["format"])
    columns: list[CsvColumn] | None = None
    number = 0
    async for record in _records(db, job, import_format):
        number += 1
        if import_format is ImportFormat.CSV and columns is None:
            columns = csv_header(text_of(record, first=True))
            continue
        if number <= job["next_record"] or not record.strip():
            continue
        try:
            text = text_of(record, first=number == 1)
            if columns is not None:
                yield number, csv_write(text, columns, max_identifier_bytes)
            else:
                yield number, ndjson_write(text, max_identifier_bytes)
        except AttriumError as error:
            yield number, error


async def _records(
    db: Database, job: dict[str, Any], import_format: ImportFormat
) -> AsyncIterator[bytes]:
    splitter = RecordSplitter(import_format)
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
    *,
    last: bool = False,
) -> None:
    writes = [(line, parsed) for line, parsed in batch if isinstance(parsed, BatchWrite)]
    applied, rejected = progress.applied, progress.rejected
    await _apply_batch(db, actor, job, config, options, batch, writes, progress, last)
    # Counted once committed: a batch rolled back (lease lost, crash) is redone elsewhere.
    metrics.IMPORT_ROWS.labels("applied").inc(progress.applied - applied)
    metrics.IMPORT_ROWS.labels("rejected").inc(progress.rejected - rejected)


async def _apply_batch(
    db: Database,
    actor: Actor,
    job: dict[str, Any],
    config: RunnerConfig,
    options: customers.WriteOptions,
    batch: list[ParsedRow],
    writes: list[tuple[int, BatchWrite]],
    progress: _Progress,
    last: bool,
) -> None:
    try:
        async with db.transaction() as connection:
            outcomes = await upsert_batch(connection, actor, [w for _, w in writes], options)
            await _record(connection, actor, job, config, batch, writes, outcomes, progress, last)
    except IntegrityError as error:
        if not sql.is_unique_violation(error):
            raise
        # A concurrent writer took an identifier: apply this batch one row at a time.
        async with db.transaction() as connection:
            outcomes = [await _one(connection, actor, write, options) for _, write in writes]
            await _record(connection, actor, job, config, batch, writes, outcomes, progress, last)


async def _one(
    connection: AsyncConnection, actor: Actor, write: BatchWrite, options: customers.WriteOptions
) -> BatchOutcome:
    try:
        async with connection.begin_nested():
            [outcome] = await upsert_batch(connection, actor, [write], options)
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
) -> None:
    """Count the batch and store its rejected rows, if this runner still holds the job."""
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


async def _refused_customers(
    connection: AsyncConnection, actor: Actor, batch: list[ParsedRow]
) -> dict[int, str]:
    """Rows refused while parsed, by line: the customer each names, unless it is suppressed."""
    named = [(n, p.ref) for n, p in batch if isinstance(p, RowInvalid) and p.ref is not None]
    if not named:
        return {}
    refusals = await suppression_errors(connection, actor, [[(r.field, r)] for _, r in named])
    return {n: str(ref) for (n, ref), no in zip(named, refusals, strict=True) if no is None}


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
