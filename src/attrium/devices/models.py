"""A device as the services take it, whichever route it came through."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Platform(StrEnum):
    IOS = "ios"
    ANDROID = "android"


@dataclass(frozen=True, slots=True)
class DeviceInput:
    """One device of a customer: `device_id` is its push token or the app's id for it."""

    device_id: str
    platform: str
    last_used: datetime | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
