"""Wire models for import jobs."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from attrium.imports.service import ImportJob

JobState = Literal["uploading", "queued", "running", "done", "failed"]


class ImportJobOut(BaseModel):
    id: str
    state: JobState
    format: str
    upload_bytes: int
    rows_read: int
    applied: int
    rejected: int
    conflicts: int
    rows_per_second: float | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ImportJobPage(BaseModel):
    items: list[ImportJobOut]
    next_cursor: str | None


class RejectedRowOut(BaseModel):
    line: int
    customer: str | None
    applied: bool
    reason: str
    errors: list[dict[str, str]]


class RejectedRowPage(BaseModel):
    items: list[RejectedRowOut]
    next_cursor: str | None


def job_body(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.job_id,
        "state": job.state,
        "format": job.format,
        "upload_bytes": job.upload_bytes,
        "rows_read": job.rows_read,
        "applied": job.applied,
        "rejected": job.rejected,
        "conflicts": job.conflicts,
        "rows_per_second": job.rows_per_second,
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }
