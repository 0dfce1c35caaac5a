"""The attribute catalog: declare, read, change and remove attribute definitions."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity.service import ActivityEntry, ActivityType, record
from attrium.attributes import stats, store
from attrium.attributes.cache import current_catalog
from attrium.attributes.models import (
    CUSTOMER_NAMESPACE,
    AttributeLimits,
    Definition,
    DefinitionInput,
    definition_row,
    summarise,
)
from attrium.attributes.values import (
    AttributeType,
    InvalidValue,
    TypeSpec,
    canonical_value,
    check_shape,
    name_error,
)
from attrium.attributes.writes import ensure_room, load_definitions
from attrium.auth.actor import Actor
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.errors import AlreadyExists, Conflict, FieldError, NotFound, ValidationFailed
from attrium.customers import store as customer_store
from attrium.workspaces import store as workspace_store

FRESHNESS_WINDOW = timedelta(days=30)
# What each colour of the catalog means (the seed's words), for legends.
FRESHNESS_MEANINGS = {
    "red": "created and updated via API, last update within 30 days",
    "green": "created by batch, since updated via API",
    "orange": "created via API, not updated via API for 30 days",
}
# What a freshness of None (no colour) means.
NO_FRESHNESS_MEANING = "created by batch, never updated via API"
_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """A definition with what the catalog page shows about its use."""

    definition: Definition
    customer_count: int
    last_written_at: datetime | None
    last_written_by: str | None
    last_written_source: str | None

    @property
    def realtime(self) -> bool:
        """Values arrive through the API in real time (the lightning mark)."""
        return self.definition.last_api_write_at is not None

    @property
    def freshness(self) -> str | None:
        """The seed's colour code: red, green, orange, or None for plain batch."""
        definition = self.definition
        api_write = definition.last_api_write_at
        if definition.source == "batch":
            return "green" if api_write else None
        if api_write and utcnow() - api_write <= FRESHNESS_WINDOW:
            return "red"
        return "orange"


def _validated(definition: DefinitionInput, limits: AttributeLimits) -> DefinitionInput:
    errors: list[FieldError] = []
    problem = name_error(definition.name, limits.values, "name")
    if problem:
        errors.append(problem)
    errors.extend(_enum_errors(definition))
    if definition.max_length is not None and definition.type is not AttributeType.STRING:
        errors.append(FieldError("max_length", "type", "only string attributes take max_length"))
    if errors:
        raise ValidationFailed(summarise(errors), errors)
    if definition.default is None:
        return definition
    return replace(definition, default=_canonical_default(definition, limits))


def _enum_errors(definition: DefinitionInput) -> list[FieldError]:
    values = definition.enum_values
    if definition.type is not AttributeType.ENUM:
        if values is not None:
            return [FieldError("enum_values", "type", "only enum attributes take enum_values")]
        return []
    if not values:
        return [FieldError("enum_values", "required", "enum attributes need at least one value")]
    if any(not isinstance(value, str) or not value for value in values):
        return [FieldError("enum_values", "type", "enum values are non-empty strings")]
    if len(set(values)) != len(values):
        return [FieldError("enum_values", "unique", "enum values must be distinct")]
    return []


def _canonical_default(definition: DefinitionInput, limits: AttributeLimits) -> Any:
    spec = TypeSpec(
        definition.type,
        tuple(definition.enum_values) if definition.enum_values else None,
        definition.max_length,
    )
    try:
        check_shape("default", definition.default, limits.values)
        return canonical_value("default", definition.default, spec)
    except InvalidValue as invalid:
        raise ValidationFailed(invalid.error.message, [invalid.error]) from invalid


async def define(
    connection: AsyncConnection,
    actor: Actor,
    definition: DefinitionInput,
    limits: AttributeLimits,
    namespace: str = CUSTOMER_NAMESPACE,
) -> Definition:
    """Declare an attribute (AlreadyExists if it is in the catalog)."""
    definition = _validated(definition, limits)
    await workspace_store.bump_catalog_version(connection, actor.workspace_id)
    if await store.find(connection, actor.workspace_id, namespace, [definition.name]):
        raise AlreadyExists(f"attribute {definition.name!r} is already defined")
    await ensure_room(connection, actor, namespace, [definition.name], limits, "name")
    row = definition_row(actor, namespace, definition, utcnow(), declared=True)
    await store.insert_new(connection, [row])
    await _audit(connection, actor, ActivityType.ATTRIBUTE_DEFINED, definition.name, row)
    return Definition.from_row(row)


async def _audit(
    connection: AsyncConnection,
    actor: Actor,
    activity_type: ActivityType,
    name: str,
    row: dict[str, Any] | None,
    extra: dict[str, Any] | None = None,
) -> None:
    details = (
        {
            "type": row["type"],
            "enum_values": row["enum_values"],
            "default": row["default_value"],
            "description": row["description"],
            "max_length": row["max_length"],
        }
        if row
        else extra
    )
    await record(connection, actor, [ActivityEntry(activity_type, attribute=name, details=details)])


async def get(
    connection: AsyncConnection, actor: Actor, name: str, namespace: str = CUSTOMER_NAMESPACE
) -> Definition:
    found = await load_definitions(connection, actor, namespace, [name])
    if name not in found:
        raise NotFound(f"no attribute {name!r} in the catalog")
    return found[name]


async def list_definitions(
    connection: AsyncConnection, actor: Actor, namespace: str = CUSTOMER_NAMESPACE
) -> list[Definition]:
    rows = await store.list_namespace(connection, actor.workspace_id, namespace)
    return [Definition.from_row(row) for row in rows]


def _entry(definition: Definition, found: stats.AttributeStats | None) -> CatalogEntry:
    found = found or stats.AttributeStats()
    last_write = found.last_write
    return CatalogEntry(
        definition=definition,
        customer_count=found.holders,
        last_written_at=last_write.at if last_write else None,
        last_written_by=last_write.key_id if last_write else None,
        last_written_source=last_write.source if last_write else None,
    )


async def _entries(
    connection: AsyncConnection, actor: Actor, definitions: list[Definition]
) -> list[CatalogEntry]:
    """The definitions with their statistics, read in one statement for all of them."""
    found = await stats.read(connection, actor.workspace_id)
    return [_entry(definition, found.get(definition.name)) for definition in definitions]


async def update(
    connection: AsyncConnection,
    actor: Actor,
    name: str,
    limits: AttributeLimits,
    *,
    type: AttributeType | None = None,
    enum_values: list[str] | None = _UNSET,
    default: Any = _UNSET,
    description: str | None = _UNSET,
    max_length: int | None = _UNSET,
    namespace: str = CUSTOMER_NAMESPACE,
) -> Definition:
    """Change a definition. The type changes only while no customer holds a value."""
    await workspace_store.bump_catalog_version(connection, actor.workspace_id)
    current = await get(connection, actor, name, namespace)
    new_type = type or current.type
    customers_with_value = 0
    if new_type is not current.type:
        # Counted from the values, not the catalog's statistics: a decision about the
        # values rests on the values (a rare admin call may afford the scan).
        customers_with_value = await customer_store.count_with_attribute(
            connection, actor.workspace_id, name
        )
    if customers_with_value:
        raise Conflict(
            f"{customers_with_value} customers hold a value of {name!r}; "
            "its type cannot change until they are removed"
        )
    merged = DefinitionInput(
        name=name,
        type=new_type,
        enum_values=_pick(enum_values, list(current.enum_values) if current.enum_values else None),
        default=_pick(default, current.default),
        description=_pick(description, current.description),
        max_length=_pick(max_length, current.max_length),
    )
    if type is not None and type is not AttributeType.ENUM and enum_values is _UNSET:
        merged = replace(merged, enum_values=None)
    merged = _validated(merged, limits)
    values = {
        "type": merged.type.value,
        "enum_values": merged.enum_values,
        "default_value": merged.default,
        "description": merged.description,
        "max_length": merged.max_length,
        "updated_at": utcnow(),
    }
    await store.update_definition(connection, actor.workspace_id, namespace, name, **values)
    await _audit(
        connection, actor, ActivityType.ATTRIBUTE_DEFINITION_CHANGED, name, {"name": name, **values}
    )
    return await get(connection, actor, name, namespace)


def _pick(given: Any, current: Any) -> Any:
    return current if given is _UNSET else given


async def delete(connection: AsyncConnection, actor: Actor, name: str, *, purge: bool) -> None:
    """Remove a definition; its values too with `purge`, else only while nobody holds one."""
    await workspace_store.bump_catalog_version(connection, actor.workspace_id)
    await get(connection, actor, name, CUSTOMER_NAMESPACE)
    # From the values, as for a type change (update).
    holders = await customer_store.count_with_attribute(connection, actor.workspace_id, name)
    if holders and not purge:
        raise Conflict(
            f"{holders} customers hold a value of {name!r}; "
            "delete with purge=true to remove their values too"
        )
    if holders:
        purged = await customer_store.purge_attribute(connection, actor.workspace_id, name)
        await stats.record(connection, actor, stats.purged(name, purged))  # catalog statistics
    await store.delete_definition(connection, actor.workspace_id, CUSTOMER_NAMESPACE, name)
    await _audit(
        connection,
        actor,
        ActivityType.ATTRIBUTE_DEFINITION_DELETED,
        name,
        None,
        {"purged_from_customers": holders},
    )


async def defaults(connection: AsyncConnection, actor: Actor, namespace: str) -> dict[str, Any]:
    return dict((await current_catalog(connection, actor, namespace)).defaults)


async def catalog(db: Database, actor: Actor) -> list[CatalogEntry]:
    """Every customer attribute, with how many customers hold it and its last write."""
    async with db.reader() as connection:
        return await _entries(connection, actor, await list_definitions(connection, actor))


async def definitions_by_name(db: Database, actor: Actor) -> dict[str, Definition]:
    async with db.reader() as connection:
        return {item.name: item for item in await list_definitions(connection, actor)}


async def catalog_entry(db: Database, actor: Actor, name: str) -> CatalogEntry:
    async with db.reader() as connection:
        [entry] = await _entries(connection, actor, [await get(connection, actor, name)])
        return entry


async def define_attribute(
    db: Database, actor: Actor, definition: DefinitionInput, limits: AttributeLimits
) -> CatalogEntry:
    async with db.transaction() as connection:
        created = await define(connection, actor, definition, limits)
        [entry] = await _entries(connection, actor, [created])
        return entry


async def update_attribute(
    db: Database, actor: Actor, name: str, limits: AttributeLimits, changes: dict[str, Any]
) -> CatalogEntry:
    async with db.transaction() as connection:
        updated = await update(connection, actor, name, limits, **changes)
        [entry] = await _entries(connection, actor, [updated])
        return entry


async def delete_attribute(db: Database, actor: Actor, name: str, *, purge: bool) -> None:
    async with db.transaction() as connection:
        await delete(connection, actor, name, purge=purge)
