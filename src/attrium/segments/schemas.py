"""Wire models for segments."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from attrium.core.schemas import InputModel
from attrium.customers.schemas import CustomerOut
from attrium.segments.service import Segment

PREDICATE_DESCRIPTION = (
    '{"all": [...]}, {"any": [...]}, {"not": ...}, {"attribute": NAME, "op": OP, "value": V} '
    'or {"identifier": "email"|"phone", "op": "exists"|"not_exists"}; see docs/segments.md'
)


class PreviewIn(InputModel):
    predicate: dict[str, Any] = Field(description=PREDICATE_DESCRIPTION)
    sample: int = Field(default=10, ge=0, le=100, description="how many members to show")
    as_of: str | None = Field(
        default=None,
        description="RFC 3339 with a zone: who matched at this instant (docs/history.md)",
    )


class PreviewOut(BaseModel):
    count: int
    sample: list[CustomerOut]


class SegmentIn(InputModel):
    name: str
    description: str | None = None
    predicate: dict[str, Any] = Field(description=PREDICATE_DESCRIPTION)


class SegmentPatch(InputModel):
    name: str | None = None
    description: str | None = None
    predicate: dict[str, Any] | None = Field(default=None, description=PREDICATE_DESCRIPTION)


class SegmentOut(BaseModel):
    id: str
    name: str
    description: str | None
    predicate: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class SegmentPage(BaseModel):
    items: list[SegmentOut]
    next_cursor: str | None


class MembershipChangeOut(BaseModel):
    profile_id: str
    id: str | None
    change: Literal["entered", "left"]


class ChangesOut(BaseModel):
    since: datetime
    as_of: datetime
    items: list[MembershipChangeOut]
    next_cursor: str | None


class CountOut(BaseModel):
    count: int


def segment_body(segment: Segment) -> dict[str, Any]:
    return {
        "id": segment.segment_id,
        "name": segment.name,
        "description": segment.description,
        "predicate": segment.predicate,
        "created_at": segment.created_at,
        "updated_at": segment.updated_at,
    }
