"""Wire models for object types, objects and relationships."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from attrium.core.schemas import InputModel
from attrium.objects.models import (
    ObjectKey,
    ObjectRecord,
    ObjectType,
    Relationship,
    RelationshipInput,
)


class ObjectTypeIn(InputModel):
    name: str = Field(description='such as "Companies" or "Accounts"')


class ObjectTypeOut(BaseModel):
    id: str
    name: str
    created_at: datetime


class ObjectTypeList(BaseModel):
    items: list[ObjectTypeOut]


def object_type_body(object_type: ObjectType) -> dict[str, Any]:
    return {
        "id": object_type.type_id,
        "name": object_type.name,
        "created_at": object_type.created_at,
    }


class ObjectIn(InputModel):
    attributes: dict[str, Any] = Field(
        default_factory=dict,
        description="merged in: new keys added, existing updated, null removes",
    )


class ObjectOut(BaseModel):
    object_type_id: str
    object_id: str
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ObjectPage(BaseModel):
    items: list[ObjectOut]
    next_cursor: str | None


def object_body(record: ObjectRecord) -> dict[str, Any]:
    return {
        "object_type_id": record.type_id,
        "object_id": record.object_id,
        "attributes": record.attributes,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }


class ObjectKeyIn(InputModel):
    object_type_id: str
    object_id: str

    def to_key(self) -> ObjectKey:
        return ObjectKey(self.object_type_id, self.object_id)


class RelationshipIn(ObjectKeyIn):
    attributes: dict[str, Any] = Field(
        default_factory=dict, description='relationship attributes; null or "" removes one'
    )

    def to_input(self) -> RelationshipInput:
        return RelationshipInput(self.object_type_id, self.object_id, dict(self.attributes))


class RelationshipsChange(InputModel):
    add: list[RelationshipIn] = Field(default_factory=list, description="added, or updated")
    delete: list[ObjectKeyIn] = Field(default_factory=list)


class RelationshipOut(BaseModel):
    profile_id: str
    object_type_id: str
    object_id: str
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class RelationshipList(BaseModel):
    items: list[RelationshipOut]


def relationship_body(relationship: Relationship) -> dict[str, Any]:
    return {
        "profile_id": relationship.profile_id,
        "object_type_id": relationship.type_id,
        "object_id": relationship.object_id,
        "attributes": relationship.attributes,
        "created_at": relationship.created_at,
        "updated_at": relationship.updated_at,
    }
