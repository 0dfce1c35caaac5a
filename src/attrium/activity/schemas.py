"""Wire models for the activity log."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ActivityOut(BaseModel):
    id: str
    type: str
    profile_id: str | None
    customer_ref: str | None
    attribute: str | None
    changes: dict[str, Any] | None = Field(
        description="a customer write's changes: "
        '{"attributes": {NAME: {"old", "new"}}, "identifiers": {FIELD: {"old", "new"}}}; '
        'a value an older timestamped write left adds "stale": true, "sent", "at", "current_at"'
    )
    old_value: Any
    new_value: Any
    reason: str | None
    details: dict[str, Any] | None
    key_id: str | None
    source: str
    created_at: datetime


class ActivityPage(BaseModel):
    items: list[ActivityOut]
    next_cursor: str | None
