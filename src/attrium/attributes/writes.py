"""The rules every attribute write goes through, whatever route it came by."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
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
    checker = await PatchChecker.open(connection, actor, namespace, limits, field_prefix)
    checked = checker.check(patch)
    if isinstance(checked, AttriumError):
        raise checked
    refused = await checker.admit(connection, checked)
    if refused is not None:
        raise refused
    if await checker.define(connection):
        # A concurrent writer fixed a type first: check against the winner.
        checked = checker.check(patch)
        if isinstance(checked, AttriumError):
            raise checked
    await checker.mark_written(connection)
    return checked.canonical


# Values of the write path are not frozen, only never changed: a frozen dataclass's
# __init__ sets each field through object.__setattr__ (about 4x the cost), and a
# write builds several of them.
@dataclass(slots=True, unsafe_hash=True)
class CheckedPatch:
    """A patch in canonical form (None means remove), with the types it would give to
    attributes the catalog does not hold yet."""

    canonical: dict[str, Any]
    new_types: dict[str, AttributeType]


@dataclass(slots=True)
class PatchChecker:
    """Checks the patches of one batch against a namespace's catalog, read once.

    A batch's writes are decided one by one, in order, as if each were a request of
    its own: `check` a patch against the catalog and the types earlier admitted
    patches gave to new attributes; `admit` the patch once its write is sure to apply
    (its new attributes then count against the workspace's limit and fix their types
    for the patches after it); `define` the admitted types in the catalog before the
    writes are stored. A refused write leaves no type behind.
    """

    actor: Actor
    namespace: str
    limits: AttributeLimits
    field_prefix: str
    definitions: dict[str, Definition]
    specs: dict[str, TypeSpec]
    names: dict[str, tuple[str, FieldError | None]] = field(default_factory=dict)
    new_types: dict[str, AttributeType] = field(default_factory=dict)
    existing_count: int | None = None
    written: set[str] = field(default_factory=set)

    @classmethod
    async def open(
        cls,
        connection: AsyncConnection,
        actor: Actor,
        namespace: str,
        limits: AttributeLimits,
        field_prefix: str = "attributes",
    ) -> "PatchChecker":
        snapshot = await current_catalog(connection, actor, namespace)
        return cls(
            actor,
            namespace,
            limits,
            field_prefix,
            dict(snapshot.definitions),
            dict(snapshot.specs),
        )

    def check(self, patch: Mapping[str, Any]) -> CheckedPatch | AttriumError:
        """The patch in canonical form, or the error refusing it whole."""
        error = _request_error(patch, self.limits, self.field_prefix, self.names)
        if error is not None:
            return error
        canonical, new_types, errors = _canonicalise(
            patch, self.specs, self.limits, self.field_prefix
        )
        if errors:
            return ValidationFailed(summarise(errors), errors)
        return CheckedPatch(canonical, new_types)

    def has_new_names(self, patches: Iterable[Mapping[str, Any]]) -> bool:
        """Whether a patch names an attribute the catalog does not hold."""
        return any(name not in self.specs for patch in patches for name in patch)

    async def lock_catalog(self, connection: AsyncConnection) -> None:
        """Take the workspace's catalog lock now, before the caller locks other rows:
        writers that may define attributes lock in the same order (catalog first), so
        none waits for another in a cycle."""
        if self.existing_count is None:
            await workspace_store.bump_catalog_version(connection, self.actor.workspace_id)
            self.existing_count = await _counted(
                connection, self.actor, self.namespace, self.limits
            )

    async def admit(
        self, connection: AsyncConnection, checked: CheckedPatch
    ) -> LimitExceeded | None:
        """Count a patch that applies: its new attributes enter this batch's catalog,
        within the workspace's limit (the refusal, when there is no room)."""
        if checked.new_types:
            await self.lock_catalog(connection)
            assert self.existing_count is not None
            room_error = _room_error(
                self.actor,
                self.existing_count + len(self.new_types),
                list(checked.new_types),
                self.limits,
                self.field_prefix,
            )
            if room_error is not None:
                return room_error
            self.new_types.update(checked.new_types)
            self.specs.update({name: TypeSpec(kind) for name, kind in checked.new_types.items()})
        self.written.update(checked.canonical)
        return None

    async def define(self, connection: AsyncConnection) -> set[str]:
        """Enter the admitted types into the catalog; the names a concurrent writer
        defined with another type first (patches using them must be checked again)."""
        if not self.new_types:
            return set()
        winners = await _define_inferred(connection, self.actor, self.namespace, self.new_types)
        lost = {name for name, kind in self.new_types.items() if winners[name].type is not kind}
        self.definitions.update(winners)
        self.specs.update({name: winners[name].spec for name in lost})
        self.existing_count = (self.existing_count or 0) + len(self.new_types)
        self.new_types = {}
        return lost

    async def mark_written(self, connection: AsyncConnection) -> None:
        """Keep the catalog's "updated via API" marks of the attributes written fresh."""
        await _mark_api_write(
            connection, self.actor, self.namespace, self.definitions.values(), self.written
        )


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
            fixed = dict(limits.fixed_types).get(name) if limits.fixed_types else None
            spec = TypeSpec(fixed or infer_type(value, limits.values))
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


def merged(old: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """`old` with a canonical patch applied (None removes)."""
    result = dict(old)
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def check_per_customer(attributes: Mapping[str, Any], limits: AttributeLimits) -> None:
    if limits.max_per_customer is not None and len(attributes) > limits.max_per_customer:
        raise LimitExceeded(
            f"a customer may hold at most {limits.max_per_customer} attributes; "
            f"this write would leave {len(attributes)}",
            [FieldError("attributes", "limit.per_customer", "remove attributes first")],
        )


def _same(left: Any, right: Any) -> bool:
    if type(left) is not type(right):
        return False
    if isinstance(left, dict | list):
        # Python's == takes 1 for 1.0 and True inside containers; the JSON differs.
        return bool(
            orjson.dumps(left, option=orjson.OPT_SORT_KEYS)
            == orjson.dumps(right, option=orjson.OPT_SORT_KEYS)
        )
    return bool(left == right)


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
    written: set[str],
) -> None:
    """Keep the catalog's "updated via API" mark fresh, at most once per period."""
    if actor.source == IMPORT_SOURCE or not written:
        return
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
