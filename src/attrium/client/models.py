"""What the API answers, as typed models (unknown fields are kept, not refused)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Customer(Model):
    id: str | None
    profile_id: str
    email: str | None
    phone: str | None
    anonymous_id: str | None
    custom_identifiers: dict[str, str]
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class Attribute(Model):
    name: str
    type: Literal["string", "number", "boolean", "datetime", "enum"]
    enum_values: list[str] | None = None
    default: Any = None
    description: str | None = None
    max_length: int | None = None
    source: str = "api"
    declared: bool = False
    freshness: str | None = None
    customer_count: int = 0
    last_written_at: datetime | None = None


class ActivityEntry(Model):
    id: str
    type: str
    profile_id: str | None
    customer_ref: str | None
    attribute: str | None
    old_value: Any
    new_value: Any
    reason: str | None
    details: dict[str, Any] | None
    key_id: str | None
    source: str
    created_at: datetime


class Segment(Model):
    id: str
    name: str
    description: str | None
    predicate: dict[str, Any]
    created_at: datetime
    updated_at: datetime


ImportState = Literal["uploading", "queued", "running", "done", "failed"]


class ImportJob(Model):
    id: str
    state: ImportState
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

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


class RejectedRow(Model):
    line: int
    customer: str | None
    applied: bool
    reason: str
    errors: list[dict[str, str]]


class SegmentPreview(Model):
    count: int
    sample: list[Customer]


class Template(Model):
    id: str
    name: str
    description: str | None
    body: str
