"""Objects (companies, accounts, …) and customers' relationships to them."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def object_namespace(type_number: int) -> str:
    """The catalog namespace of one object type's attributes."""
    return f"object:{type_number}"


def relationship_namespace(type_number: int) -> str:
    """The catalog namespace of the attributes of relationships to one object type."""
    return f"relationship:{type_number}"


@dataclass(frozen=True, slots=True)
class ObjectType:
    type_id: str  # a string-formatted integer, from "1"
    name: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "ObjectType":
        return cls(str(row["type_number"]), row["name"], row["created_at"])


@dataclass(frozen=True, slots=True)
class ObjectRecord:
    type_id: str
    object_id: str
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "ObjectRecord":
        return cls(
            type_id=str(row["type_number"]),
            object_id=row["object_id"],
            attributes=dict(row["attributes"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


@dataclass(frozen=True, slots=True)
class Relationship:
    profile_id: str
    type_id: str
    object_id: str
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Relationship":
        return cls(
            profile_id=row["profile_id"],
            type_id=str(row["type_number"]),
            object_id=row["object_id"],
            attributes=dict(row["attributes"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


@dataclass(frozen=True, slots=True)
class ObjectKey:
    type_id: str
    object_id: str


@dataclass(frozen=True, slots=True)
class RelationshipInput:
    """A relationship to add (or update); attributes null or "" remove one."""

    type_id: str
    object_id: str
    attributes: dict[str, Any] = field(default_factory=dict)
