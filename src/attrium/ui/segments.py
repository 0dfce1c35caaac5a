"""The segment builder: compose conditions, see the live count and a sample, save, export."""

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from attrium.attributes import service as catalog
from attrium.auth.scopes import Scope
from attrium.core.deps import DatabaseDep
from attrium.core.errors import AttriumError
from attrium.segments import service as segments
from attrium.segments.export import MEDIA_TYPES, ExportFormat, csv_rows, ndjson_lines
from attrium.ui.routing import UiRoute
from attrium.ui.security import SessionDep
from attrium.ui.segment_form import SegmentForm, errors_by_row, read_form
from attrium.ui.service import UiSession
from attrium.ui.web import UI_PREFIX, redirect, render, wants_fragment

router = APIRouter(route_class=UiRoute)

SAMPLE_SIZE = 10
SEGMENTS_PER_PAGE = 50
MEMBERS_PER_PAGE = 25


@router.get("/segments")
async def segments_page(request: Request, db: DatabaseDep, session: SessionDep) -> Response:
    return await _builder(request, db, session, SegmentForm(), full_page=True)


@router.post("/segments/builder")
async def update_builder(request: Request, db: DatabaseDep, session: SessionDep) -> Response:
    """Re-render the builder (htmx: only it) with its live count, after any edit."""
    submitted = await request.form()
    form = read_form(submitted)
    if submitted.get("action") == "add":
        form.new_row(await catalog.definitions_by_name(db, session.actor))
    return await _builder(request, db, session, form, full_page=not wants_fragment(request))


@router.post("/segments/preview")
async def preview_builder(request: Request, db: DatabaseDep, session: SessionDep) -> Response:
    """Only the live count and sample, while a value is typed."""
    form = read_form(await request.form())
    context = await _preview(db, session, form)
    return render(request, "_segment_preview.html", session=session, form=form, oob=True, **context)


async def _preview(db: DatabaseDep, session: UiSession, form: SegmentForm) -> dict[str, Any]:
    preview, preview_error = None, None
    try:
        preview = await segments.preview(db, session.actor, form.predicate(), SAMPLE_SIZE)
    except AttriumError as error:
        preview_error = error
    row_errors, general_errors = errors_by_row(preview_error.errors if preview_error else ())
    return {
        "preview": preview,
        "preview_error": preview_error,
        "row_errors": row_errors,
        "general_errors": general_errors,
    }


@router.post("/segments")
async def save_segment(request: Request, db: DatabaseDep, session: SessionDep) -> Response:
    session.actor.require(Scope.ATTRIBUTES_WRITE)
    form = read_form(await request.form())
    try:
        segment = await segments.create(
            db, session.actor, form.name, form.description or None, form.predicate()
        )
    except AttriumError as error:
        return await _builder(request, db, session, form, full_page=True, save_error=error)
    return redirect(request, f"{UI_PREFIX}/segments/{segment.segment_id}")


async def _builder(
    request: Request,
    db: DatabaseDep,
    session: UiSession,
    form: SegmentForm,
    *,
    full_page: bool,
    save_error: AttriumError | None = None,
) -> Response:
    definitions = await catalog.definitions_by_name(db, session.actor)
    if not form.rows:
        form.new_row(definitions)
    form.fit(definitions)
    context: dict[str, Any] = {
        **await _preview(db, session, form),
        "form": form,
        "definitions": definitions,
        "subjects": form.subjects(definitions),
        "oob": False,
        "save_error": save_error,
        "can_save": session.can(Scope.ATTRIBUTES_WRITE),
    }
    if not full_page:
        return render(request, "_segment_builder.html", session=session, **context)
    saved = await segments.list_segments(db, session.actor, None, SEGMENTS_PER_PAGE)
    status = save_error.status if save_error else 200
    return render(request, "segments.html", session=session, status=status, saved=saved, **context)


@router.get("/segments/{segment_id}")
async def segment_page(
    request: Request,
    db: DatabaseDep,
    session: SessionDep,
    segment_id: str,
    cursor: str | None = None,
) -> Response:
    segment = await segments.get(db, session.actor, segment_id)
    total = await segments.count(db, session.actor, segment_id)
    page = await segments.members(db, session.actor, segment_id, cursor, MEMBERS_PER_PAGE)
    return render(
        request,
        "segment.html",
        session=session,
        segment=segment,
        total=total,
        page=page,
        formats=[export_format.value for export_format in ExportFormat],
    )


@router.get("/segments/{segment_id}/export")
async def export_segment(
    db: DatabaseDep,
    session: SessionDep,
    segment_id: str,
    format: ExportFormat = ExportFormat.CSV,
) -> Response:
    export = await segments.open_export(db, session.actor, segment_id)
    produce = ndjson_lines if format is ExportFormat.NDJSON else csv_rows
    disposition = f'attachment; filename="{segment_id}.{format.value}"'
    return StreamingResponse(
        produce(export),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": disposition},
    )
