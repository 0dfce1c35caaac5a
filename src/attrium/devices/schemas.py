"""Wire models for devices."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, Field

from attrium.core.schemas import InputModel
from attrium.devices.models import DeviceInput, Platform


class DeviceIn(InputModel):
    platform: Platform = Field(strict=False, description="ios or android")
    last_used: Annotated[
        AwareDatetime | None,
        Field(strict=False, description="when the app last ran on it, ISO 8601 with a zone"),
    ] = None
    attributes: dict[str, Any] = Field(
        default_factory=dict, description="what else is known of it, such as app_version"
    )

    def to_input(self, device_id: str) -> DeviceInput:
        return DeviceInput(device_id, self.platform.value, self.last_used, self.attributes)


class DeviceOut(BaseModel):
    id: str
    platform: str
    last_used: datetime | None
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class DeviceList(BaseModel):
    items: list[DeviceOut]
