"""An event as the services take it, whichever route it came through."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class EventInput:
    """One event: `timestamp` is when it happened (None: now), `event_id` the sender's
    own id for it, kept as sent; `kind` a Customer.io `type` such as "page"."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)
    timestamp: datetime | None = None
    event_id: str | None = None
    kind: str | None = None
