"""SQL for import jobs: the job, its uploaded bytes (in chunks) and its rejected rows."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
    and_,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.core.database import metadata
from attrium.core.types import UtcDateTime, json_document

import_jobs = Table(
    "import_jobs",
    metadata,
    Column(
        "workspace_id",
        Text,
        ForeignKey("workspaces.workspace_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("job_id", Text, primary_key=True),
    Column("state", Text, nullable=False),
    Column("format", Text, nullable=False),
    Column("idempotency_key", Text, nullable=True),
    Column("key_id", Text, nullable=True),
    Column("scopes", json_document(), nullable=False),
    Column("upload_bytes", BigInteger, nullable=False),
    Column("chunks", Integer, nullable=False),
    Column("next_record", Integer, nullable=False),
    Column("rows_read", Integer, nullable=False),
    Column("applied", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("conflicts", Integer, nullable=False),
    Column("error", Text, nullable=True),
    Column("lease_owner", Text, nullable=True),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("workspace_id", "idempotency_key"),
    Index("ix_import_jobs_state", "state", "created_at"),
)

import_chunks = Table(
    "import_chunks",
    metadata,
    Column("workspace_id", Text, primary_key=True),
    Column("job_id", Text, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
    ForeignKeyConstraint(
        ["workspace_id", "job_id"],
        ["import_jobs.workspace_id", "import_jobs.job_id"],
        ondelete="CASCADE",
    ),
)

import_errors = Table(
    "import_errors",
    metadata,
    Column("workspace_id", Text, primary_key=True),
    Column("job_id", Text, primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("customer_ref", Text, nullable=True),
    Column("applied", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
    Column("errors", json_document(none_as_null=True), nullable=True),
    ForeignKeyConstraint(
        ["workspace_id", "job_id"],
        ["import_jobs.workspace_id", "import_jobs.job_id"],
        ondelete="CASCADE",
    ),
)

_jobs = import_jobs.c


def _job_key(workspace_id: str, job_id: str) -> Any:
    return and_(_jobs.workspace_id == workspace_id, _jobs.job_id == job_id)


async def insert_job(connection: AsyncConnection, row: dict[str, Any]) -> None:
    await connection.execute(import_jobs.insert().values(**row))


async def read_job(
    connection: AsyncConnection, workspace_id: str, job_id: str
) -> dict[str, Any] | None:
    row = (
        await connection.execute(select(import_jobs).where(_job_key(workspace_id, job_id)))
    ).first()
    return dict(row._mapping) if row else None


async def find_by_idempotency_key(
    connection: AsyncConnection, workspace_id: str, key: str
) -> dict[str, Any] | None:
    query = select(import_jobs).where(
        _jobs.workspace_id == workspace_id, _jobs.idempotency_key == key
    )
    row = (await connection.execute(query)).first()
    return dict(row._mapping) if row else None


async def list_jobs(
    connection: AsyncConnection, workspace_id: str, before_id: str | None, limit: int
) -> list[dict[str, Any]]:
    query = select(import_jobs).where(_jobs.workspace_id == workspace_id)
    if before_id is not None:
        query = query.where(_jobs.job_id < before_id)
    query = query.order_by(_jobs.job_id.desc()).limit(limit)
    return [dict(row._mapping) for row in await connection.execute(query)]


async def update_job(
    connection: AsyncConnection, workspace_id: str, job_id: str, **values: Any
) -> None:
    await connection.execute(
        update(import_jobs).where(_job_key(workspace_id, job_id)).values(**values)
    )


async def insert_chunk(
    connection: AsyncConnection,
    workspace_id: str,
    job_id: str,
    seq: int,
    data: bytes,
    now: datetime,
) -> bool:
    """Store one chunk of a job still uploading; False if the job was given up meanwhile."""
    touched = await connection.execute(
        update(import_jobs)
        .where(_job_key(workspace_id, job_id), _jobs.state == "uploading")
        .values(updated_at=now)
    )
    if touched.rowcount != 1:
        return False
    await connection.execute(
        import_chunks.insert().values(workspace_id=workspace_id, job_id=job_id, seq=seq, data=data)
    )
    return True


async def end_upload(
    connection: AsyncConnection, workspace_id: str, job_id: str, **values: Any
) -> bool:
    """Move a job out of `uploading`; False if it had already left it (given up)."""
    result = await connection.execute(
        update(import_jobs)
        .where(_job_key(workspace_id, job_id), _jobs.state == "uploading")
        .values(**values)
    )
    return bool(result.rowcount == 1)


async def abandon_uploads(
    connection: AsyncConnection, idle_since: datetime, now: datetime, reason: str
) -> int:
    """Fail the jobs still uploading that stored nothing after `idle_since`; how many."""
    idle = and_(_jobs.state == "uploading", _jobs.updated_at < idle_since)
    found = await connection.execute(select(_jobs.workspace_id, _jobs.job_id).where(idle))
    abandoned = 0
    for workspace_id, job_id in found.all():
        failed = await connection.execute(
            update(import_jobs)
            .where(_job_key(workspace_id, job_id), idle)
            .values(
                state="failed",
                error=reason,
                finished_at=now,
                updated_at=now,
            )
        )
        if failed.rowcount == 1:
            await delete_chunks(connection, workspace_id, job_id)
            abandoned += 1
    return abandoned


async def read_chunk(
    connection: AsyncConnection, workspace_id: str, job_id: str, seq: int
) -> bytes | None:
    query = select(import_chunks.c.data).where(
        import_chunks.c.workspace_id == workspace_id,
        import_chunks.c.job_id == job_id,
        import_chunks.c.seq == seq,
    )
    data: bytes | None = (await connection.execute(query)).scalar_one_or_none()
    return data


async def delete_chunks(connection: AsyncConnection, workspace_id: str, job_id: str) -> None:
    await connection.execute(
        delete(import_chunks).where(
            import_chunks.c.workspace_id == workspace_id, import_chunks.c.job_id == job_id
        )
    )


def _claimable(now: datetime) -> Any:
    return or_(_jobs.state == "queued", and_(_jobs.state == "running", _jobs.lease_until < now))


async def claim_next(
    connection: AsyncConnection, owner: str, now: datetime, lease_until: datetime
) -> dict[str, Any] | None:
    """Take the oldest job that is queued or whose runner's lease ran out."""
    query = (
        select(_jobs.workspace_id, _jobs.job_id)
        .where(_claimable(now))
        .order_by(_jobs.created_at)
        .limit(1)
    )
    candidate = (await connection.execute(query)).first()
    if candidate is None:
        return None
    claimed = await connection.execute(
        update(import_jobs)
        .where(_job_key(candidate.workspace_id, candidate.job_id), _claimable(now))
        .values(
            state="running",
            lease_owner=owner,
            lease_until=lease_until,
            started_at=func.coalesce(_jobs.started_at, now),
            updated_at=now,
        )
    )
    if claimed.rowcount != 1:
        return None
    return await read_job(connection, candidate.workspace_id, candidate.job_id)


async def advance(
    connection: AsyncConnection,
    workspace_id: str,
    job_id: str,
    owner: str,
    lease_until: datetime,
    **values: Any,
) -> bool:
    """Record progress if `owner` still holds the lease; False when it lost it."""
    result = await connection.execute(
        update(import_jobs)
        .where(_job_key(workspace_id, job_id), _jobs.lease_owner == owner)
        .values(lease_until=lease_until, **values)
    )
    return bool(result.rowcount == 1)


async def insert_errors(connection: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await connection.execute(import_errors.insert(), list(rows))


async def errors_page(
    connection: AsyncConnection, workspace_id: str, job_id: str, after_line: int, limit: int
) -> list[dict[str, Any]]:
    query = (
        select(import_errors)
        .where(
            import_errors.c.workspace_id == workspace_id,
            import_errors.c.job_id == job_id,
            import_errors.c.line > after_line,
        )
        .order_by(import_errors.c.line)
        .limit(limit)
    )
    return [dict(row._mapping) for row in await connection.execute(query)]
