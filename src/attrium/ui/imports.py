"""The imports page: upload a file, watch its progress, download its error report."""

import csv
import io
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile

from attrium.auth.actor import Actor
from attrium.auth.scopes import Scope
from attrium.core.csvcells import escape_cell
from attrium.core.database import Database
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.errors import FieldError, ValidationFailed
from attrium.core.jsonio import dump
from attrium.imports import service as imports
from attrium.imports.formats import ImportFormat
from attrium.ui.routing import UiRoute
from attrium.ui.security import SessionDep
from attrium.ui.web import UI_PREFIX, redirect, render, wants_fragment

router = APIRouter(route_class=UiRoute)

JOBS_PER_PAGE = 25
REJECTED_SHOWN = 50
REPORT_PAGE_ROWS = 1000
UNFINISHED_STATES = frozenset({"uploading", "queued", "running"})
REPORT_COLUMNS = ["line", "customer", "applied", "reason", "errors"]


@router.get("/imports")
async def imports_page(
    request: Request, db: DatabaseDep, session: SessionDep, cursor: str | None = None
) -> Response:
    jobs = await imports.list_jobs(db, session.actor, cursor, JOBS_PER_PAGE)
    return render(
        request,
        "imports.html",
        session=session,
        jobs=jobs,
        formats=[import_format.value for import_format in ImportFormat],
        can_upload=session.can(Scope.ATTRIBUTES_WRITE),
    )


def format_of(chosen: str, filename: str) -> ImportFormat:
    """The format picked, else the one the file's name says (NDJSON unless .csv)."""
    if chosen:
        try:
            return ImportFormat(chosen)
        except ValueError:
            message = "format is ndjson or csv"
            raise ValidationFailed(message, [FieldError("format", "enum", message)]) from None
    stem = filename.lower().removesuffix(".gz")
    return ImportFormat.CSV if stem.endswith(".csv") else ImportFormat.NDJSON


async def _chunks(upload: UploadFile, size: int) -> AsyncIterator[bytes]:
    while chunk := await upload.read(size):
        yield chunk


@router.post("/imports")
async def upload_import(
    request: Request, db: DatabaseDep, settings: SettingsDep, session: SessionDep
) -> Response:
    session.actor.require(Scope.ATTRIBUTES_WRITE)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        message = "choose a file to upload"
        raise ValidationFailed(message, [FieldError("file", "required", message)])
    chosen = form.get("format")
    import_format = format_of(chosen if isinstance(chosen, str) else "", upload.filename)
    job, created = await imports.create_job(
        db,
        session.actor,
        import_format,
        _chunks(upload, settings.import_chunk_bytes),
        settings.import_chunk_bytes,
        None,
    )
    if created:
        request.app.state.import_runner.wake()
    return redirect(request, f"{UI_PREFIX}/imports/{job.job_id}")


@router.get("/imports/{job_id}")
async def import_page(
    request: Request, db: DatabaseDep, session: SessionDep, job_id: str
) -> Response:
    """The job; htmx polls it while it runs and swaps in only its progress panel."""
    job = await imports.get_job(db, session.actor, job_id)
    rejected = await imports.rejected_rows(db, session.actor, job_id, None, REJECTED_SHOWN)
    template = "_import_progress.html" if wants_fragment(request) else "import.html"
    return render(
        request,
        template,
        session=session,
        job=job,
        rejected=rejected,
        running=job.state in UNFINISHED_STATES,
    )


@router.get("/imports/{job_id}/errors.csv")
async def error_report(db: DatabaseDep, session: SessionDep, job_id: str) -> Response:
    await imports.get_job(db, session.actor, job_id)
    disposition = f'attachment; filename="{job_id}-errors.csv"'
    return StreamingResponse(
        _report_lines(db, session.actor, job_id),
        media_type="text/csv",
        headers={"Content-Disposition": disposition},
    )


async def _report_lines(db: Database, actor: Actor, job_id: str) -> AsyncIterator[bytes]:
    yield _csv_line(REPORT_COLUMNS)
    cursor: str | None = None
    while True:
        page = await imports.rejected_rows(db, actor, job_id, cursor, REPORT_PAGE_ROWS)
        for row in page.items:
            errors = dump(row["errors"]).decode() if row["errors"] else ""
            cells = [row["line"], row["customer"] or "", row["applied"], row["reason"], errors]
            yield _csv_line([str(cell) for cell in cells])
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _csv_line(cells: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([escape_cell(cell) for cell in cells])
    return buffer.getvalue().encode()
