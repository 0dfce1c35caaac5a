"""Import jobs: accept an upload, keep it, and report on the job.

The upload is kept in the database in chunks; `apply` runs the job from them.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from attrium.auth.actor import Actor
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.errors import FieldError, NotFound, RequestTimeout, ValidationFailed
from attrium.core.ids import new_ulid
from attrium.core.pagination import Page, decode_cursor, encode_cursor
from attrium.imports import store
from attrium.imports.formats import ImportFormat

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
