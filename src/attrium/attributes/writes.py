"""The rules every attribute write goes through, whatever route it came by."""

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.attributes import store
from attrium.attributes.models import (
    IMPORT_SOURCE,
    AttributeLimits,
    Definition,
    DefinitionInput,
    definition_row,
    source_label,
    summarise,
)
from attrium.attributes.values import (
    AttributeType,
    InvalidValue,
    TypeSpec,
    canonical_value,
    check_shape,
    infer_type,
    name_error,
)
from attrium.auth.actor import Actor
from attrium.core.clock import utcnow
from attrium.core.errors import FieldError, LimitExceeded, ValidationFailed
from attrium.workspaces import store as workspace_store

API_WRITE_MARK_PERIOD = timedelta(hours=1)


async def prepare_values(
    connection: AsyncConnection,
    actor: Actor,
    patch: Mapping[str, Any],
    limits: AttributeLimits,
    namespace: str,
    field_prefix: str = "attributes",
) -> dict[str, Any]:
    """Validate a patch and return it in canonical form (None means remove).

    Attributes seen for the first time enter the catalog with the type of their
    value, within the workspace's limit. The whole patch is refused if any part of
    it breaks a rule.
    """
    if len(patch) > limits.max_per_request:
        raise LimitExceeded(
            f"{len(patch)} attributes in one request; at most {limits.max_per_request}",
            [FieldError(field_prefix, "limit.per_request", "split the write into smaller ones")],
        )
    _raise_if(_shape_errors(patch, limits, field_prefix))
    definitions = await load_definitions(connection, actor, namespace, patch.keys())
    canonical, new_types, errors = _canonicalise(patch, definitions, limits, field_prefix)
    _raise_if(errors)
    if new_types:
        definitions.update(
            await _define_inferred(connection, actor, namespace, new_types, limits, field_prefix)
        )
        # A concurrent writer may have fixed a type first: check against the winner.
        canonical, _, errors = _canonicalise(patch, definitions, limits, field_prefix)
        _raise_if(errors)
    await _mark_api_write(connection, actor, namespace, definitions.values(), canonical)
    return canonical


def _raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(summarise(errors), errors)


def _shape_errors(
    patch: Mapping[str, Any], limits: AttributeLimits, field_prefix: str
) -> list[FieldError]:
    errors: list[FieldError] = []
    for name, value in patch.items():
        field_name = f"{field_prefix}.{name}"
        problem = name_error(name, limits.values, field_name)
        if problem:
            errors.append(problem)
        elif value is not None:
            try:
                check_shape(field_name, value, limits.values)
            except InvalidValue as invalid:
                errors.append(invalid.error)
    return errors


def _canonicalise(
    patch: Mapping[str, Any],
    definitions: Mapping[str, Definition],
    limits: AttributeLimits,
    field_prefix: str,
) -> tuple[dict[str, Any], dict[str, AttributeType], list[FieldError]]:
    canonical: dict[str, Any] = {}
    new_types: dict[str, AttributeType] = {}
    errors: list[FieldError] = []
    for name, value in patch.items():
        if value is None:
            canonical[name] = None
            continue
        definition = definitions.get(name)
        spec = definition.spec if definition else TypeSpec(infer_type(value, limits.values))
        if definition is None:
            new_types[name] = spec.type
        try:
            canonical[name] = canonical_value(f"{field_prefix}.{name}", value, spec, name)
        except InvalidValue as invalid:
            errors.append(invalid.error)
    return canonical, new_types, errors


async def load_definitions(
    connection: AsyncConnection, actor: Actor, namespace: str, names: Iterable[str]
) -> dict[str, Definition]:
    rows = await store.find(connection, actor.workspace_id, namespace, names)
    return {name: Definition.from_row(row) for name, row in rows.items()}


async def _define_inferred(
    connection: AsyncConnection,
    actor: Actor,
    namespace: str,
    new_types: dict[str, AttributeType],
    limits: AttributeLimits,
    field_prefix: str,
) -> dict[str, Definition]:
    await workspace_store.lock(connection, actor.workspace_id)
    await ensure_room(connection, actor, namespace, list(new_types), limits, field_prefix)
    now = utcnow()
    rows = [
        definition_row(actor, namespace, DefinitionInput(name, attribute_type), now, declared=False)
        for name, attribute_type in new_types.items()
    ]
    await store.insert_new(connection, rows)
    return await load_definitions(connection, actor, namespace, new_types)


async def ensure_room(
    connection: AsyncConnection,
    actor: Actor,
    namespace: str,
    new_names: list[str],
    limits: AttributeLimits,
    field_prefix: str,
) -> None:
    """Refuse new definitions beyond the limit; the caller holds the workspace lock."""
    if limits.counted_source is not None and limits.counted_source != source_label(actor):
        return
    existing = await store.count(connection, actor.workspace_id, namespace, limits.counted_source)
    if existing + len(new_names) <= limits.max_definitions:
        return
    raise LimitExceeded(
        f"the workspace has {existing} of {limits.max_definitions} custom attributes; "
        f"this write would add {len(new_names)} more",
        [
            FieldError(
                f"{field_prefix}.{name}" if field_prefix != "name" else "name",
                "limit.attributes",
                f"no room for a new attribute (limit {limits.max_definitions})",
            )
            for name in new_names
        ],
    )


async def _mark_api_write(
    connection: AsyncConnection,
    actor: Actor,
    namespace: str,
    definitions: Iterable[Definition],
    canonical: Mapping[str, Any],
) -> None:
    """Keep the catalog's "updated via API" mark fresh, at most once per period."""
    if actor.source == IMPORT_SOURCE:
        return
    now = utcnow()
    stale_before = now - API_WRITE_MARK_PERIOD
    stale = [
        definition.name
        for definition in definitions
        if definition.name in canonical
        and (definition.last_api_write_at is None or definition.last_api_write_at < stale_before)
    ]
    if stale:
        await store.touch_api_write(
            connection, actor.workspace_id, namespace, stale, now, stale_before
        )
