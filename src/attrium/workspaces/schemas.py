"""Wire models for the workspace and its settings."""

from pydantic import BaseModel, Field

from attrium.core.schemas import InputModel


class WorkspaceSettingsIn(InputModel):
    max_attributes: int | None = Field(default=None, ge=1, le=100_000)
    max_string_bytes: int | None = Field(default=None, ge=1, le=1_000_000)
    max_attributes_per_request: int | None = Field(default=None, ge=1, le=100_000)
    optimove_max_attributes: int | None = Field(default=None, ge=1, le=100_000)
    customerio_allow_email_updates_by_id: bool | None = Field(
        default=None,
        description="Customer.io dialect: a person addressed by id may have their email changed",
    )


class WorkspaceOut(BaseModel):
    id: str
    name: str
    settings: dict[str, int | bool] = Field(
        description="effective values, server defaults included"
    )
    overrides: dict[str, int | bool] = Field(description="values set for this workspace")
