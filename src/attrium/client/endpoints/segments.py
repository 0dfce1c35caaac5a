"""Segments (`/v1/segments`)."""

from datetime import datetime
from typing import Any

from attrium.client.calls import Page, field_of, model, nothing, page
from attrium.client.declare import Request, download, endpoint, given, listing, query
from attrium.client.models import Customer, MembershipChange, Segment, SegmentPreview


@endpoint("POST", "/v1/segments/preview")
def preview_segment(
    predicate: dict[str, Any], sample: int = 10, *, as_of: datetime | None = None
) -> Request[SegmentPreview]:
    """How many customers a predicate selects (at `as_of`, or now), and the first
    `sample` of them."""
    body = {"predicate": predicate, "sample": sample, **given(as_of=_instant(as_of))}
    return Request(model(SegmentPreview), json=body)


def _instant(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@endpoint("POST", "/v1/segments")
def create_segment(
    name: str, predicate: dict[str, Any], *, description: str | None = None
) -> Request[Segment]:
    """Save a predicate (see docs/segments.md) under a name."""
    body = given(name=name, predicate=predicate, description=description)
    return Request(model(Segment), json=body)


@listing("GET", "/v1/segments")
def iter_segments(page_size: int | None = None) -> Request[Page[Segment]]:
    return Request(page(Segment), params=query(limit=page_size))


@endpoint("GET", "/v1/segments/{segment_id}")
def get_segment(segment_id: str) -> Request[Segment]:
    return Request(model(Segment))


@endpoint("PATCH", "/v1/segments/{segment_id}")
def update_segment(segment_id: str, **changes: Any) -> Request[Segment]:
    """Change `name`, `description` (None clears it) or `predicate`."""
    return Request(model(Segment), json=changes)


@endpoint("DELETE", "/v1/segments/{segment_id}")
def delete_segment(segment_id: str) -> Request[None]:
    return Request(nothing)


@endpoint("GET", "/v1/segments/{segment_id}/count")
def count_segment(segment_id: str, *, as_of: datetime | None = None) -> Request[int]:
    """How many customers the segment holds now (or held at `as_of`)."""
    return Request(field_of("count", int), params=query(as_of=_instant(as_of)))


@listing("GET", "/v1/segments/{segment_id}/members")
def iter_segment_members(
    segment_id: str, page_size: int | None = None, *, as_of: datetime | None = None
) -> Request[Page[Customer]]:
    """The segment's customers (at `as_of`, or now), in profile id order."""
    return Request(page(Customer), params=query(limit=page_size, as_of=_instant(as_of)))


@listing("GET", "/v1/segments/{segment_id}/changes")
def iter_segment_changes(
    segment_id: str, since: datetime, page_size: int | None = None
) -> Request[Page[MembershipChange]]:
    """Customers who entered or left the segment since `since` (with a time zone)."""
    return Request(page(MembershipChange), params=query(since=since.isoformat(), limit=page_size))


@download("GET", "/v1/segments/{segment_id}/export")
def export_segment(segment_id: str, *, format: str = "ndjson") -> Request[None]:
    """Every member as NDJSON or CSV, streamed in chunks."""
    return Request(nothing, params={"format": format})
