"""Wire models for the attribute catalog."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from attrium.attributes.service import CatalogEntry
from attrium.attributes.values import AttributeType
from attrium.core.schemas import InputModel

AttributeTypeField = Annotated[AttributeType, Field(strict=False)]


class AttributeIn(InputModel):
    name: str
    type: AttributeTypeField = Field(
        description="string, number, boolean, datetime, enum, object or array"
    )
    enum_values: list[str] | None = None
    default: Any = Field(default=None, description="shown for customers without a value")
    description: str | None = Field(default=None, max_length=2000)
    max_length: int | None = Field(default=None, ge=1, description="string attributes only")


class AttributeChange(InputModel):
    type: AttributeTypeField | None = None
    enum_values: list[str] | None = None
    default: Any = None
    description: str | None = Field(default=None, max_length=2000)
    max_length: int | None = Field(default=None, ge=1)

    def changes(self) -> dict[str, Any]:
        """Only the fields the body names (null resets an optional one)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class AttributeOut(BaseModel):
    name: str
    type: AttributeType
    enum_values: list[str] | None
    default: Any
    description: str | None
    max_length: int | None
    source: str = Field(description="api or batch: how the attribute was created")
    declared: bool = Field(description="defined in the catalog rather than inferred")
    realtime: bool = Field(description="updated through the API (the lightning mark)")
    freshness: str | None = Field(description="red, green, orange, or null (batch only)")
    customer_count: int
    created_at: datetime
    updated_at: datetime
    last_written_at: datetime | None
    last_written_by: str | None
    last_written_source: str | None
    last_api_write_at: datetime | None


class AttributeList(BaseModel):
    items: list[AttributeOut]


def attribute_body(entry: CatalogEntry) -> dict[str, Any]:
    definition = entry.definition
    return {
        "name": definition.name,
        "type": definition.type.value,
        "enum_values": list(definition.enum_values) if definition.enum_values else None,
        "default": definition.default,
        "description": definition.description,
        "max_length": definition.max_length,
        "source": definition.source,
        "declared": definition.declared,
        "realtime": entry.realtime,
        "freshness": entry.freshness,
        "customer_count": entry.customer_count,
        "created_at": definition.created_at,
        "updated_at": definition.updated_at,
        "last_written_at": entry.last_written_at,
        "last_written_by": entry.last_written_by,
        "last_written_source": entry.last_written_source,
        "last_api_write_at": definition.last_api_write_at,
    }
