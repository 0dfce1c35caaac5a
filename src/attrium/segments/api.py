"""Segment routes (`/v1/segments`)."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse

from attrium.auth.actor import Actor
from attrium.auth.api import requires
from attrium.auth.scopes import Scope
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.http import JsonRoute
from attrium.core.jsonio import JsonResponse
from attrium.core.schemas import PROBLEM_RESPONSES
from attrium.customers.schemas import CustomerPage, customer_body
from attrium.history import service as history
from attrium.history.service import AS_OF_HELP
from attrium.segments import changes, service
from attrium.segments.export import MEDIA_TYPES, ExportFormat, csv_rows, ndjson_lines
from attrium.segments.schemas import (
    ChangesOut,
    CountOut,
    PreviewIn,
    PreviewOut,
    SegmentIn,
    SegmentOut,
    SegmentPage,
    SegmentPatch,
    segment_body,
)

Reader = Annotated[Actor, Depends(requires(Scope.ATTRIBUTES_READ))]
Writer = Annotated[Actor, Depends(requires(Scope.ATTRIBUTES_WRITE))]
Limit = Annotated[int | None, Query(ge=1, le=1000)]
AsOf = Annotated[str | None, Query(description=AS_OF_HELP)]

router = APIRouter(
    prefix="/v1/segments", tags=["segments"], route_class=JsonRoute, responses=PROBLEM_RESPONSES
)


@router.post("/preview", response_model=PreviewOut)
async def preview(
    body: PreviewIn, db: DatabaseDep, settings: SettingsDep, actor: Reader
) -> Response:
    """Count the customers a predicate selects (at `as_of`, or now) and show the first
    `sample` of them."""
    as_of = history.parse_as_of(body.as_of, settings)
    found = await service.preview(db, actor, body.predicate, body.sample, as_of)
    sample = [customer_body(customer) for customer in found.sample]
    return JsonResponse({"count": found.count, "sample": sample})


@router.post("", response_model=SegmentOut, status_code=201)
async def create_segment(body: SegmentIn, db: DatabaseDep, actor: Writer) -> Response:
    segment = await service.create(db, actor, body.name, body.description, body.predicate)
    headers = {"Location": f"/v1/segments/{segment.segment_id}"}
    return JsonResponse(segment_body(segment), status_code=201, headers=headers)


@router.get("", response_model=SegmentPage)
async def list_segments(
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Reader,
    limit: Limit = None,
    cursor: str | None = None,
) -> Response:
    page = await service.list_segments(db, actor, cursor, limit or settings.default_page_size)
    items = [segment_body(segment) for segment in page.items]
    return JsonResponse({"items": items, "next_cursor": page.next_cursor})


@router.get("/{segment_id}", response_model=SegmentOut)
async def get_segment(segment_id: str, db: DatabaseDep, actor: Reader) -> Response:
    return JsonResponse(segment_body(await service.get(db, actor, segment_id)))


@router.patch("/{segment_id}", response_model=SegmentOut)
async def update_segment(
    segment_id: str, body: SegmentPatch, db: DatabaseDep, actor: Writer
) -> Response:
    """Change the fields given; `description: null` clears the description."""
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    segment = await service.update(db, actor, segment_id, changes)
    return JsonResponse(segment_body(segment))


@router.delete("/{segment_id}", status_code=204)
async def delete_segment(segment_id: str, db: DatabaseDep, actor: Writer) -> Response:
    await service.delete(db, actor, segment_id)
    return Response(status_code=204)


@router.get("/{segment_id}/count", response_model=CountOut)
async def count_members(
    segment_id: str, db: DatabaseDep, settings: SettingsDep, actor: Reader, as_of: AsOf = None
) -> Response:
    """How many customers the segment holds now, or held at `as_of`."""
    moment = history.parse_as_of(as_of, settings)
    return JsonResponse({"count": await service.count(db, actor, segment_id, moment)})


@router.get("/{segment_id}/members", response_model=CustomerPage)
async def list_members(
    segment_id: str,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Reader,
    limit: Limit = None,
    cursor: str | None = None,
    as_of: AsOf = None,
) -> Response:
    """The segment's customers in profile id order (who matched at `as_of`, shown as they
    are now); pass `next_cursor`, and the same `as_of`, for the next page."""
    moment = history.parse_as_of(as_of, settings)
    size = limit or settings.default_page_size
    page = await service.members(db, actor, segment_id, cursor, size, moment)
    items = [customer_body(customer) for customer in page.items]
    return JsonResponse({"items": items, "next_cursor": page.next_cursor})


@router.get("/{segment_id}/changes", response_model=ChangesOut)
async def membership_changes(
    segment_id: str,
    since: datetime,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Reader,
    limit: Limit = None,
    cursor: str | None = None,
) -> Response:
    """Customers who entered or left since `since`, judged from the activity log."""
    history.check_reachable(since if since.tzinfo else since.replace(tzinfo=UTC), settings, "since")
    page = await changes.membership_changes(
        db, actor, segment_id, since, cursor, limit or settings.default_page_size
    )
    items = [{"profile_id": c.profile_id, "id": c.id, "change": c.change} for c in page.items]
    body = {"since": page.since, "as_of": page.as_of, "items": items}
    return JsonResponse({**body, "next_cursor": page.next_cursor})


@router.get(
    "/{segment_id}/export",
    response_class=StreamingResponse,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
async def export_members(
    segment_id: str,
    db: DatabaseDep,
    actor: Reader,
    format: ExportFormat = ExportFormat.NDJSON,
) -> StreamingResponse:
    """Every member, streamed in batches: one JSON object per line, or CSV with a header."""
    export = await service.open_export(db, actor, segment_id)
    produce = ndjson_lines if format is ExportFormat.NDJSON else csv_rows
    extension = format.value
    headers = {"Content-Disposition": f'attachment; filename="{segment_id}.{extension}"'}
    return StreamingResponse(produce(export), media_type=MEDIA_TYPES[format], headers=headers)
