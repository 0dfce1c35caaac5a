"""The rules every attribute write goes through, whatever route it came by."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.attributes import store
from attrium.attributes.cache import current_catalog
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
from attrium.core.errors import AttriumError, FieldError, LimitExceeded, ValidationFailed
from attrium.workspaces import store as workspace_store

API_WRITE_MARK_PERIOD = timedelta(hours=1)

PreparedPatch = dict[str, Any] | AttriumError


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
    [prepared] = await prepare_many(connection, actor, [patch], limits, namespace, field_prefix)
    if isinstance(prepared, AttriumError):
        raise prepared
    return prepared


async def prepare_many(
    connection: AsyncConnection,
    actor: Actor,
    patches: Sequence[Mapping[str, Any]],
    limits: AttributeLimits,
    namespace: str,
    field_prefix: str = "attributes",
) -> list[PreparedPatch]:
    """Validate patches in order, each as if it were a request of its own.

    Each patch comes back in canonical form, or as the error that refuses it whole.
    A patch may rely on the types that an earlier accepted patch of the same call
    gave to new attributes; the catalog is read and written once for all of them.
    """
    checked_names: dict[str, tuple[str, FieldError | None]] = {}
    outcomes: list[PreparedPatch | None] = [
        _request_error(p, limits, field_prefix, checked_names) for p in patches
    ]
    names = {
        name
        for patch, done in zip(patches, outcomes, strict=True)
        if done is None
        for name in patch
    }
    known = (await current_catalog(connection, actor, namespace)).definitions
    definitions = {name: known[name] for name in names if name in known}
    plan = _TypePlan({name: definition.spec for name, definition in definitions.items()})
    for index, patch in enumerate(patches):
        if outcomes[index] is None:
            outcomes[index] = await _prepare_one(
                connection, actor, namespace, patch, plan, limits, field_prefix
            )
    if plan.new_types:
        winners = await _define_inferred(connection, actor, namespace, plan.new_types)
        definitions.update(winners)
        _recheck_losers(patches, outcomes, plan, winners, limits, field_prefix)
    accepted = [outcome for outcome in outcomes if isinstance(outcome, dict)]
    await _mark_api_write(connection, actor, namespace, definitions.values(), accepted)
    return [outcome for outcome in outcomes if outcome is not None]


@dataclass(slots=True)
class _TypePlan:
    """The specs a patch is checked against: the catalog's, then those earlier patches inferred."""

    specs: dict[str, TypeSpec]
    new_types: dict[str, AttributeType] = field(default_factory=dict)
    existing_count: int | None = None


async def _prepare_one(
    connection: AsyncConnection,
    actor: Actor,
    namespace: str,
    patch: Mapping[str, Any],
    plan: _TypePlan,
    limits: AttributeLimits,
    field_prefix: str,
) -> PreparedPatch:
    canonical, new_types, errors = _canonicalise(patch, plan.specs, limits, field_prefix)
    if errors:
        return ValidationFailed(summarise(errors), errors)
    if new_types:
        if plan.existing_count is None:
            await workspace_store.bump_catalog_version(connection, actor.workspace_id)
            plan.existing_count = await _counted(connection, actor, namespace, limits)
        room_error = _room_error(
            actor, plan.existing_count + len(plan.new_types), list(new_types), limits, field_prefix
        )
        if room_error:
            return room_error
        plan.new_types.update(new_types)
        plan.specs.update({name: TypeSpec(kind) for name, kind in new_types.items()})
    return canonical


def _recheck_losers(
    patches: Sequence[Mapping[str, Any]],
    outcomes: list[PreparedPatch | None],
    plan: _TypePlan,
    winners: Mapping[str, Definition],
    limits: AttributeLimits,
    field_prefix: str,
) -> None:
    """A concurrent writer may have fixed a type first: check against the winner."""
    lost = {name for name, kind in plan.new_types.items() if winners[name].type is not kind}
    if not lost:
        return
    plan.specs.update({name: winners[name].spec for name in lost})
    for index, patch in enumerate(patches):
        if isinstance(outcomes[index], dict) and lost.intersection(patch):
            canonical, _, errors = _canonicalise(patch, plan.specs, limits, field_prefix)
            outcomes[index] = ValidationFailed(summarise(errors), errors) if errors else canonical


def _request_error(
    patch: Mapping[str, Any],
    limits: AttributeLimits,
    field_prefix: str,
    names: dict[str, tuple[str, FieldError | None]],
) -> AttriumError | None:
    if len(patch) > limits.max_per_request:
        return LimitExceeded(
            f"{len(patch)} attributes in one request; at most {limits.max_per_request}",
            [FieldError(field_prefix, "limit.per_request", "split the write into smaller ones")],
        )
    errors = _shape_errors(patch, limits, field_prefix, names)
    return ValidationFailed(summarise(errors), errors) if errors else None


def _shape_errors(
    patch: Mapping[str, Any],
    limits: AttributeLimits,
    field_prefix: str,
    names: dict[str, tuple[str, FieldError | None]],
) -> list[FieldError]:
    """The patch's shape errors; `names` remembers each name's field and verdict across patches
    (a batch repeats the same few names in every row)."""
    errors: list[FieldError] = []
    for name, value in patch.items():
        known = names.get(name)
        if known is None:
            field_name = f"{field_prefix}.{name}"
            known = names[name] = (field_name, name_error(name, limits.values, field_name))
        field_name, problem = known
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
    specs: Mapping[str, TypeSpec],
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
        spec = specs.get(name)
        if spec is None:
            spec = TypeSpec(infer_type(value, limits.values))
            new_types[name] = spec.type
        try:
            canonical[name] = canonical_value(f"{field_prefix}.{name}", value, spec, name)
        except InvalidValue as invalid:
            errors.append(invalid.error)
    return canonical, new_types, errors


def effective_patch(old: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a canonical `patch` that changes `old` (repeating a write changes nothing)."""
    return {
        name: value
        for name, value in patch.items()
        if (value is None and name in old)
        or (value is not None and not _same(old.get(name), value))
    }


def _same(left: Any, right: Any) -> bool:
    return type(left) is type(right) and left == right


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
) -> dict[str, Definition]:
    """Insert inferred definitions (the caller holds the workspace lock); the winners."""
    now = utcnow()
    rows = [
        definition_row(actor, namespace, DefinitionInput(name, attribute_type), now, declared=False)
        for name, attribute_type in new_types.items()
    ]
    await store.insert_new(connection, rows)
    return await load_definitions(connection, actor, namespace, new_types)


async def _counted(
    connection: AsyncConnection, actor: Actor, namespace: str, limits: AttributeLimits
) -> int:
    return await store.count(connection, actor.workspace_id, namespace, limits.counted_source)


async def ensure_room(
    connection: AsyncConnection,
    actor: Actor,
    namespace: str,
    new_names: list[str],
    limits: AttributeLimits,
    field_prefix: str,
) -> None:
    """Refuse new definitions beyond the limit; the caller holds the workspace lock."""
    existing = await _counted(connection, actor, namespace, limits)
    error = _room_error(actor, existing, new_names, limits, field_prefix)
    if error:
        raise error


def _room_error(
    actor: Actor,
    existing: int,
    new_names: list[str],
    limits: AttributeLimits,
    field_prefix: str,
) -> LimitExceeded | None:
    if limits.counted_source is not None and limits.counted_source != source_label(actor):
        return None
    if existing + len(new_names) <= limits.max_definitions:
        return None
    return LimitExceeded(
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
    accepted: list[dict[str, Any]],
) -> None:
    """Keep the catalog's "updated via API" mark fresh, at most once per period."""
    if actor.source == IMPORT_SOURCE or not accepted:
        return
    written = {name for canonical in accepted for name in canonical}
    now = utcnow()
    stale_before = now - API_WRITE_MARK_PERIOD
    stale = [
        definition.name
        for definition in definitions
        if definition.name in written
        and (definition.last_api_write_at is None or definition.last_api_write_at < stale_before)
    ]
    if stale:
        await workspace_store.bump_catalog_version(connection, actor.workspace_id)
        await store.touch_api_write(
            connection, actor.workspace_id, namespace, stale, now, stale_before
        )
