"""Wire models for events."""

from typing import Annotated, Any

from pydantic import AwareDatetime, Field

from attrium.core.schemas import InputModel
from attrium.events.models import EventInput

# JSON has no datetime: the text is parsed even in a strict body.
Moment = Annotated[
    AwareDatetime | None,
    Field(strict=False, description="when it happened, ISO 8601 with a zone (default: now)"),
]


class EventIn(InputModel):
    name: str = Field(description="what the customer did, such as 'purchase'")
    data: dict[str, Any] = Field(default_factory=dict, description="any JSON object")
    timestamp: Moment = None
    id: str | None = Field(default=None, description="the sender's own id for the event")

    def to_input(self) -> EventInput:
        return EventInput(self.name, self.data, self.timestamp, self.id)


class AnonymousEventIn(EventIn):
    anonymous_id: str | None = Field(
        default=None,
        description="the customer holding this anonymous_id gets the event; "
        "if none does, it is kept unattached",
    )
