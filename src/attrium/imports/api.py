"""Import routes (`/v1/imports`)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from attrium.auth.actor import Actor
from attrium.auth.api import requires
from attrium.auth.scopes import Scope
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.errors import FieldError, ValidationFailed
from attrium.core.http import JsonRoute
from attrium.core.jsonio import JsonResponse
from attrium.core.schemas import PROBLEM_RESPONSES
from attrium.customers import export as customer_export
from attrium.imports import service
from attrium.imports.formats import ImportFormat
from attrium.imports.schemas import ImportJobOut, ImportJobPage, RejectedRowPage, job_body
from attrium.segments import service as segments
from attrium.segments.export import MEDIA_TYPES, ExportFormat, ExportSource, csv_rows, ndjson_lines

Reader = Annotated[Actor, Depends(requires(Scope.ATTRIBUTES_READ))]
Writer = Annotated[Actor, Depends(requires(Scope.ATTRIBUTES_WRITE))]
Limit = Annotated[int | None, Query(ge=1, le=1000)]

router = APIRouter(
    prefix="/v1/imports", tags=["imports"], route_class=JsonRoute, responses=PROBLEM_RESPONSES
)

_FORMAT_OF_MEDIA_TYPE = {
    "application/x-ndjson": ImportFormat.NDJSON,
    "application/ndjson": ImportFormat.NDJSON,
    "application/jsonl": ImportFormat.NDJSON,
    "text/csv": ImportFormat.CSV,
}


@router.post("", status_code=202, response_model=ImportJobOut)
async def create_import(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Writer,
    format: Annotated[
        ImportFormat | None, Query(description="ndjson or csv; default from Content-Type")
    ] = None,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> Response:
    """Upload an NDJSON or CSV file (gzip allowed) and queue it; 202 with the job."""
    job, created = await service.create_job(
        db,
        actor,
        format or _format_of(request),
        request.stream(),
        settings.import_chunk_bytes,
        idempotency_key,
    )
    if created:
        request.app.state.import_runner.wake()
    return JsonResponse(
        job_body(job), status_code=202, headers={"Location": f"/v1/imports/{job.job_id}"}
    )


def _format_of(request: Request) -> ImportFormat:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type in _FORMAT_OF_MEDIA_TYPE:
        return _FORMAT_OF_MEDIA_TYPE[media_type]
    if media_type in ("", "application/octet-stream", "application/gzip"):
        return ImportFormat.NDJSON
    message = "say format=ndjson or format=csv, or send Content-Type text/csv or x-ndjson"
    raise ValidationFailed(message, [FieldError("format", "required", message)])


@router.get("", response_model=ImportJobPage)
async def list_imports(
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Reader,
    limit: Limit = None,
    cursor: str | None = None,
) -> Response:
    """The workspace's import jobs, newest first."""
    page = await service.list_jobs(db, actor, cursor, limit or settings.default_page_size)
    return JsonResponse(
        {"items": [job_body(job) for job in page.items], "next_cursor": page.next_cursor}
    )


@router.get("/{job_id}", response_model=ImportJobOut)
async def get_import(job_id: str, db: DatabaseDep, actor: Reader) -> Response:
    """The job's state and progress."""
    return JsonResponse(job_body(await service.get_job(db, actor, job_id)))


@router.get("/{job_id}/errors", response_model=RejectedRowPage)
async def import_errors(
    job_id: str,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Reader,
    limit: Limit = None,
    cursor: str | None = None,
) -> Response:
    """Each rejected row with its line number and reason (and rows applied with a conflict)."""
    page = await service.rejected_rows(
        db, actor, job_id, cursor, limit or settings.default_page_size
    )
    return JsonResponse({"items": page.items, "next_cursor": page.next_cursor})


# Registered before the customers router, whose `/{customer_id}` would take "export".
export_router = APIRouter(
    prefix="/v1/customers", tags=["customers"], route_class=JsonRoute, responses=PROBLEM_RESPONSES
)


@export_router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
async def export_customers(
    db: DatabaseDep,
    actor: Reader,
    format: ExportFormat = ExportFormat.NDJSON,
    segment: Annotated[str | None, Query(description="only this segment's members")] = None,
) -> StreamingResponse:
    """Every customer (or a segment's members), streamed: NDJSON lines or CSV with a header."""
    source: ExportSource = (
        await segments.open_export(db, actor, segment)
        if segment
        else await customer_export.open_export(db, actor)
    )
    produce = ndjson_lines if format is ExportFormat.NDJSON else csv_rows
    filename = f"{segment or 'customers'}.{format.value}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return StreamingResponse(produce(source), media_type=MEDIA_TYPES[format], headers=headers)
