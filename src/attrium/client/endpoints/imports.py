"""Bulk imports (`/v1/imports`)."""

import uuid
from pathlib import Path

from attrium.client.calls import Page, model, page
from attrium.client.declare import Request, endpoint, listing, query
from attrium.client.models import ImportJob, RejectedRow


def import_format_of(source: Path | bytes, given: str | None) -> str:
    if given:
        return given
    if isinstance(source, Path) and ".csv" in [suffix.lower() for suffix in source.suffixes]:
        return "csv"
    return "ndjson"


@endpoint("POST", "/v1/imports")
def start_import(
    source: str | Path | bytes,
    *,
    format: str | None = None,
    idempotency_key: str | None = None,
) -> Request[ImportJob]:
    """Upload a file (a path, streamed) or bytes: NDJSON or CSV, gzip allowed; the queued job.

    The idempotency key (made up if not given) makes retrying the upload safe.
    """
    upload = Path(source) if isinstance(source, str) else source
    headers = {
        "Idempotency-Key": idempotency_key or str(uuid.uuid4()),
        "Content-Type": "application/octet-stream",
    }
    params = {"format": import_format_of(upload, format)}
    return Request(model(ImportJob), params=params, upload=upload, headers=headers)


@listing("GET", "/v1/imports")
def iter_imports(page_size: int | None = None) -> Request[Page[ImportJob]]:
    """The workspace's import jobs, newest first."""
    return Request(page(ImportJob), params=query(limit=page_size))


@endpoint("GET", "/v1/imports/{job_id}")
def get_import(job_id: str) -> Request[ImportJob]:
    """The job's state and progress."""
    return Request(model(ImportJob))


@listing("GET", "/v1/imports/{job_id}/errors")
def iter_import_errors(job_id: str, page_size: int | None = None) -> Request[Page[RejectedRow]]:
    """Each rejected row with its line number and reason (and rows applied with a conflict)."""
    return Request(page(RejectedRow), params=query(limit=page_size))
