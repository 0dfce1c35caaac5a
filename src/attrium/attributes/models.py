"""What the catalog holds and what a write path may do: definitions and limits."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from attrium.attributes.nested import NestedLimits
from attrium.attributes.values import AttributeType, TypeSpec, ValueLimits
from attrium.auth.actor import Actor
from attrium.core.settings import Settings

CUSTOMER_NAMESPACE = "customer"
IMPORT_SOURCE = "import"


@dataclass(frozen=True, slots=True)
class AttributeLimits:
    """How many attributes may exist and how large they may be, for one write path."""

    values: ValueLimits = field(default_factory=ValueLimits)
    max_definitions: int = 100
    counted_source: str | None = None  # count only definitions created this way
    max_per_customer: int | None = None
    max_per_request: int = 1000
    # Types this write path gives the attributes it creates under these names, instead
    # of inferring them from the first value (a dialect's documented string fields).
    fixed_types: tuple[tuple[str, AttributeType], ...] = ()


def limits_for(actor: Actor, settings: Settings) -> AttributeLimits:
    """The native limits: server settings, overridden per workspace."""
    workspace = actor.workspace
    return AttributeLimits(
        values=ValueLimits(
            max_name_chars=settings.max_attribute_name_chars,
            max_string_bytes=workspace.setting("max_string_bytes", settings),
            nested=NestedLimits(
                max_depth=settings.max_value_depth,
                max_array_length=settings.max_array_length,
                max_bytes=settings.max_nested_value_bytes,
            ),
        ),
        max_definitions=workspace.setting("max_attributes", settings),
        max_per_request=workspace.setting("max_attributes_per_request", settings),
    )


def source_label(actor: Actor) -> str:
    """The catalog's source for what this actor creates: batch (imports) or API."""
    return "batch" if actor.source == IMPORT_SOURCE else "api"


@dataclass(frozen=True, slots=True)
class Definition:
    name: str
    type: AttributeType
    enum_values: tuple[str, ...] | None
    default: Any
    description: str | None
    max_length: int | None
    source: str
    declared: bool
    created_at: datetime
    updated_at: datetime
    last_api_write_at: datetime | None

    @property
    def spec(self) -> TypeSpec:
        return TypeSpec(self.type, self.enum_values, self.max_length)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Definition":
        return cls(
            name=row["name"],
            type=AttributeType(row["type"]),
            enum_values=tuple(row["enum_values"]) if row["enum_values"] is not None else None,
            default=row["default_value"],
            description=row["description"],
            max_length=row["max_length"],
            source=row["source"],
            declared=row["declared"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            last_api_write_at=row["last_api_write_at"],
        )


@dataclass(frozen=True, slots=True)
class DefinitionInput:
    name: str
    type: AttributeType
    enum_values: list[str] | None = None
    default: Any = None
    description: str | None = None
    max_length: int | None = None


def definition_row(
    actor: Actor,
    namespace: str,
    definition: DefinitionInput,
    now: datetime,
    *,
    declared: bool,
) -> dict[str, Any]:
    return {
        "workspace_id": actor.workspace_id,
        "namespace": namespace,
        "name": definition.name,
        "type": definition.type.value,
        "enum_values": definition.enum_values,
        "default_value": definition.default,
        "description": definition.description,
        "max_length": definition.max_length,
        "source": source_label(actor),
        "declared": declared,
        "created_at": now,
        "updated_at": now,
        "last_api_write_at": None,
    }


def summarise(errors: list[Any]) -> str:
    if len(errors) == 1:
        return str(errors[0].message)
    return f"{len(errors)} fields broke a rule; see errors"
