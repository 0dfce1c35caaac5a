"""Customers: create, update, read, list and erase, with the identity rules.

Which customer a write means:
- the one holding the path's identifier, if any;
- else (unless addressed by profile) the one holding an identifier of the body,
  who is then given the path's identifier;
- else a new customer, unless the write is update-only.

An identifier that would end up on two customers, or that the request may not
change, is left as it is; the rest of the write applies, and an
`attribute_update_failure` lands in the activity of every customer involved.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity import service as activity
from attrium.activity.service import ActivityEntry, ActivityType
from attrium.attributes import service as catalog
from attrium.attributes import stats as attribute_stats
from attrium.attributes.models import CUSTOMER_NAMESPACE, AttributeLimits, limits_for
from attrium.attributes.writes import effective_patch, prepare_values
from attrium.auth.actor import Actor
from attrium.core import sql
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.errors import (
    AlreadyExists,
    AttriumError,
    FieldError,
    IdentifierConflict,
    IdentifierSuppressed,
    LimitExceeded,
    NotFound,
)
from attrium.core.ids import new_ulid
from attrium.core.pagination import Page, cursor_string, encode_cursor
from attrium.core.settings import Settings
from attrium.customers import store
from attrium.customers.identity import (
    COLUMN_KINDS,
    CustomerRef,
    IdentifierKind,
    check_custom_name,
    normalise,
)
from attrium.customers.models import (
    Customer,
    CustomerWrite,
    IdentifierConflictInfo,
    WriteOutcome,
)
from attrium.identity import erasure
from attrium.identity.suppressions import ensure_not_suppressed

MAX_WRITE_ATTEMPTS = 3

# More of the same request, applied to the written customer inside the write's
# transaction (a dialect's subscriptions or relationships), so that all of it
# applies or none does.
AfterWrite = Callable[[AsyncConnection, Customer], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class IdentifierChange:
    kind: IdentifierKind
    value: str | None
    name: str | None = None  # for custom identifiers
    from_path: bool = False
    via: str | None = None  # for a path identifier: the body identifier that found the customer

    @property
    def ref(self) -> CustomerRef:
        assert self.value is not None
        return CustomerRef(self.kind, self.value, self.name)

    @property
    def field(self) -> str:
        return (
            f"custom_identifiers.{self.name}"
            if self.kind is IdentifierKind.CUSTOM
            else self.kind.value
        )


@dataclass(frozen=True, slots=True)
class WriteOptions:
    """How a route family applies the rules: its limits and which identifiers stay fixed.

    `locked_kinds` are identifiers that, once set, change only when the customer is
    addressed by profile id; None means just the kind the path addresses by.
    """

    limits: AttributeLimits
    max_identifier_bytes: int
    locked_kinds: frozenset[IdentifierKind] | None = None
    attributes_field: str = "attributes"  # where a dialect's body holds the attributes


async def upsert(
    db: Database,
    actor: Actor,
    ref: CustomerRef,
    write: CustomerWrite,
    options: WriteOptions,
    then: AfterWrite | None = None,
) -> WriteOutcome:
    """Create or update the customer `ref` names; see the module's rules."""
    for attempt in range(1, MAX_WRITE_ATTEMPTS + 1):
        try:
            async with db.transaction() as connection:
                outcome = await _upsert(connection, actor, ref, write, options)
                if then is not None:
                    await then(connection, outcome.customer)
                return outcome
        except IntegrityError as error:
            # A concurrent write took an identifier between our check and our write;
            # the next attempt sees it and applies the identity rules to it.
            if not sql.is_unique_violation(error) or attempt == MAX_WRITE_ATTEMPTS:
                conflict = IdentifierConflict(
                    "an identifier in the request was taken by a concurrent write; retry"
                )
                await record_rejection(db, actor, conflict, ref)
                raise conflict from error
        except AttriumError as error:
            await record_rejection(db, actor, error, ref)
            raise
    raise AssertionError("unreachable")


async def record_rejection(
    db: Database, actor: Actor, error: AttriumError, ref: CustomerRef
) -> None:
    """Log a refused write to `ref` in a transaction of its own, on its customer if any."""
    async with db.reader() as connection:
        profile_id = await store.owner_of(connection, actor.workspace_id, ref)
    # A suppressed identifier's value must not come back through the log.
    customer_ref = None if isinstance(error, IdentifierSuppressed) else str(ref)
    await activity.record_rejection(db, actor, error, customer_ref, profile_id=profile_id)


async def _upsert(
    connection: AsyncConnection,
    actor: Actor,
    ref: CustomerRef,
    write: CustomerWrite,
    options: WriteOptions,
) -> WriteOutcome:
    changes = requested_changes(write, options.max_identifier_bytes)
    named = [(change.field, change.ref) for change in changes if change.value is not None]
    await ensure_not_suppressed(connection, actor, [("customer_id", ref), *named])
    patch = await prepare_values(
        connection,
        actor,
        write.attributes,
        options.limits,
        CUSTOMER_NAMESPACE,
        options.attributes_field,
    )
    owners = await _owners(connection, actor, changes)
    locked = await store.lock_by_ref(connection, actor.workspace_id, ref)
    path_owner = locked[0]["profile_id"] if locked else None
    target, changes = choose_target(ref, write, changes, owners, path_owner)
    if target is None:
        return await _create(connection, actor, plan_create(actor, ref, changes, patch, options))
    if locked is None or target != path_owner:
        by_profile = CustomerRef(IdentifierKind.PROFILE, target)
        locked = await store.lock_by_ref(connection, actor.workspace_id, by_profile)
    if locked is None:
        raise NotFound(f"customer {ref} was deleted while this request ran")
    return await _update(connection, actor, ref, locked, changes, owners, patch, options)


def requested_changes(write: CustomerWrite, max_bytes: int) -> list[IdentifierChange]:
    changes = []
    for kind in COLUMN_KINDS:
        if kind in write.identifiers:
            value = write.identifiers[kind]
            normalised = None if value is None else normalise(kind, value, kind.value, max_bytes)
            changes.append(IdentifierChange(kind, normalised))
    for name, value in write.custom_identifiers.items():
        field = f"custom_identifiers.{name}"
        check_custom_name(name, field)
        normalised = (
            None if value is None else normalise(IdentifierKind.CUSTOM, value, field, max_bytes)
        )
        changes.append(IdentifierChange(IdentifierKind.CUSTOM, normalised, name))
    return changes


async def _owners(
    connection: AsyncConnection, actor: Actor, changes: list[IdentifierChange]
) -> dict[IdentifierChange, str | None]:
    return {
        change: await store.owner_of(connection, actor.workspace_id, change.ref)
        for change in changes
        if change.value is not None
    }


def choose_target(
    ref: CustomerRef,
    write: CustomerWrite,
    changes: list[IdentifierChange],
    owners: Mapping[IdentifierChange, str | None],
    path_owner: str | None,
) -> tuple[str | None, list[IdentifierChange]]:
    """The customer a write means (None: a new one) and the identifier changes to apply."""
    target, changes = _target(ref, write, changes, owners, path_owner)
    if target is not None and write.create_only:
        raise AlreadyExists(f"customer {ref} already exists", extra={"profile_id": target})
    return target, changes


def _target(
    ref: CustomerRef,
    write: CustomerWrite,
    changes: list[IdentifierChange],
    owners: Mapping[IdentifierChange, str | None],
    path_owner: str | None,
) -> tuple[str | None, list[IdentifierChange]]:
    if path_owner is not None:
        return path_owner, changes
    if ref.kind is IdentifierKind.PROFILE:
        raise NotFound(f"no customer with profile id {ref.value}")
    target = next((owners[change] for change in changes if owners.get(change)), None)
    if target is None:
        if write.update_only:
            raise NotFound(f"no customer {ref} (update only: nothing was created)")
        return None, changes
    via = next(change for change in changes if owners.get(change) == target)
    path_change = IdentifierChange(ref.kind, ref.value, ref.name, from_path=True, via=via.field)
    return target, [path_change, *changes]


@dataclass(frozen=True, slots=True)
class CreatePlan:
    """What creating one customer writes: its row, custom identifiers and activity."""

    profile_id: str
    row: dict[str, Any]
    custom_identifiers: dict[str, str]
    entries: list[ActivityEntry]
    conflicts: list[IdentifierConflictInfo]


def plan_create(
    actor: Actor,
    ref: CustomerRef,
    changes: list[IdentifierChange],
    patch: dict[str, Any],
    options: WriteOptions,
) -> CreatePlan:
    path_change = IdentifierChange(ref.kind, ref.value, ref.name, from_path=True)
    identifiers: dict[tuple[IdentifierKind, str | None], IdentifierChange] = {
        (path_change.kind, path_change.name): path_change
    }
    conflicts = []
    for change in changes:
        key = (change.kind, change.name)
        if key in identifiers and identifiers[key].value != change.value:
            conflicts.append(IdentifierConflictInfo(change.field, _PATH_DIFFERS))
        elif change.value is not None:
            identifiers[key] = change
    attributes = {name: value for name, value in patch.items() if value is not None}
    _check_per_customer(attributes, options.limits)
    profile_id = new_ulid()
    now = utcnow()
    row: dict[str, Any] = {
        "workspace_id": actor.workspace_id,
        "profile_id": profile_id,
        "external_id": None,
        "email": None,
        "phone": None,
        "anonymous_id": None,
        "attributes": attributes,
        "created_at": now,
        "updated_at": now,
    }
    custom: dict[str, str] = {}
    for (kind, name), change in identifiers.items():
        if kind is not IdentifierKind.CUSTOM:
            row[store.COLUMN_OF_KIND[kind].name] = change.value
        elif name is not None and change.value is not None:
            custom[name] = change.value
    entries = [
        ActivityEntry(
            ActivityType.CUSTOMER_CREATED,
            profile_id=profile_id,
            details={
                "identifiers": {change.field: change.value for change in identifiers.values()}
            },
        ),
        *_attribute_entries(profile_id, {}, attributes),
        *_conflict_entries(profile_id, conflicts),
    ]
    return CreatePlan(profile_id, row, custom, entries, conflicts)


async def _create(connection: AsyncConnection, actor: Actor, plan: CreatePlan) -> WriteOutcome:
    await store.insert(connection, plan.row)
    await attribute_stats.record_writes(connection, actor, [({}, plan.row["attributes"])])
    for name, value in plan.custom_identifiers.items():
        await store.set_custom_identifier(
            connection, actor.workspace_id, plan.profile_id, name, value
        )
    await activity.record(connection, actor, plan.entries)
    customer = await read_customer(connection, actor, plan.profile_id)
    return WriteOutcome(customer, created=True, changed=True, conflicts=plan.conflicts)


_PATH_DIFFERS = "the body gives a different value for the identifier the path addresses by"


@dataclass(frozen=True, slots=True)
class UpdatePlan:
    """What updating one customer writes; `columns` and `custom_identifiers` None removes."""

    columns: dict[IdentifierKind, str | None]
    attribute_patch: dict[str, Any]
    custom_identifiers: dict[str, str | None]
    entries: list[ActivityEntry]
    conflicts: list[IdentifierConflictInfo]

    @property
    def changed(self) -> bool:
        return bool(self.columns or self.attribute_patch or self.custom_identifiers)


def plan_update(
    ref: CustomerRef,
    row: Mapping[str, Any],
    current_custom: Mapping[str, str],
    changes: list[IdentifierChange],
    owners: Mapping[IdentifierChange, str | None],
    patch: dict[str, Any],
    options: WriteOptions,
) -> UpdatePlan:
    """The write to the locked customer `row`, under the identity and attribute rules."""
    profile_id: str = row["profile_id"]
    accepted, conflicts = _plan_identifiers(
        ref, row, current_custom, changes, owners, profile_id, options
    )
    old_attributes: dict[str, Any] = row["attributes"]
    attribute_patch = effective_patch(old_attributes, patch)
    if attribute_patch:
        _check_per_customer(_merged(old_attributes, attribute_patch), options.limits)
    entries = [
        *_identifier_entries(profile_id, row, current_custom, accepted),
        *_attribute_entries(profile_id, old_attributes, attribute_patch),
        *_conflict_entries(profile_id, conflicts),
    ]
    return UpdatePlan(
        columns={c.kind: c.value for c in accepted if c.kind is not IdentifierKind.CUSTOM},
        attribute_patch=attribute_patch,
        custom_identifiers={
            c.name: c.value for c in accepted if c.kind is IdentifierKind.CUSTOM and c.name
        },
        entries=entries,
        conflicts=conflicts,
    )


async def _update(
    connection: AsyncConnection,
    actor: Actor,
    ref: CustomerRef,
    locked: tuple[dict[str, Any], dict[str, str]],
    changes: list[IdentifierChange],
    owners: Mapping[IdentifierChange, str | None],
    patch: dict[str, Any],
    options: WriteOptions,
) -> WriteOutcome:
    """Write to the customer `locked` (its row and custom identifiers, read under its lock)."""
    row, current_custom = locked
    profile_id: str = row["profile_id"]
    plan = plan_update(ref, row, current_custom, changes, owners, patch, options)
    if plan.changed:
        row = await store.update_customer(
            connection,
            actor.workspace_id,
            profile_id,
            plan.columns,
            plan.attribute_patch,
            utcnow(),
        )
    written = [(locked[0]["attributes"], plan.attribute_patch)]  # before, and what changed
    await attribute_stats.record_writes(connection, actor, written)
    for name, value in plan.custom_identifiers.items():
        await store.set_custom_identifier(connection, actor.workspace_id, profile_id, name, value)
    await activity.record(connection, actor, plan.entries)
    customer = await _as_written(connection, actor, row, current_custom, plan.custom_identifiers)
    return WriteOutcome(customer, created=False, changed=plan.changed, conflicts=plan.conflicts)


async def _as_written(
    connection: AsyncConnection,
    actor: Actor,
    row: dict[str, Any],
    custom_before: Mapping[str, str],
    custom_changes: Mapping[str, str | None],
) -> Customer:
    """The customer as this transaction left it, from what it read and wrote under the lock."""
    custom = dict(custom_before)
    for name, value in custom_changes.items():
        if value is None:
            custom.pop(name, None)
        else:
            custom[name] = value
    defaults = await catalog.defaults(connection, actor, CUSTOMER_NAMESPACE)
    return Customer.from_row(row, custom, defaults)


def _plan_identifiers(
    ref: CustomerRef,
    row: Mapping[str, Any],
    current_custom: Mapping[str, str],
    changes: list[IdentifierChange],
    owners: Mapping[IdentifierChange, str | None],
    profile_id: str,
    options: WriteOptions,
) -> tuple[list[IdentifierChange], list[IdentifierConflictInfo]]:
    by_profile = ref.kind is IdentifierKind.PROFILE
    locked = options.locked_kinds if options.locked_kinds is not None else frozenset({ref.kind})
    accepted: list[IdentifierChange] = []
    conflicts: list[IdentifierConflictInfo] = []
    for change in changes:
        current = _current_value(row, current_custom, change)
        if change.value == current:
            continue
        owner = owners.get(change)
        reason = None
        if owner is not None and owner != profile_id:
            reason = f"{change.field} belongs to another customer"
        elif change.from_path and current is not None:
            reason = (
                f"{change.via} belongs to a customer whose {change.field} differs from the path's"
            )
            conflicts.append(IdentifierConflictInfo(change.via or change.field, reason))
            continue
        elif not by_profile and _addresses(ref, change):
            reason = _PATH_DIFFERS
        elif not by_profile and current is not None and change.kind in locked:
            reason = (
                f"{change.field} is already set; address the customer by profile id to change it"
            )
        if reason:
            conflicts.append(
                IdentifierConflictInfo(change.field, reason, owner if owner != profile_id else None)
            )
        else:
            accepted.append(change)
    return accepted, conflicts


def _addresses(ref: CustomerRef, change: IdentifierChange) -> bool:
    return not change.from_path and ref.kind is change.kind and ref.name == change.name


def _current_value(
    row: Mapping[str, Any], current_custom: Mapping[str, str], change: IdentifierChange
) -> str | None:
    if change.kind is IdentifierKind.CUSTOM:
        return current_custom.get(change.name or "")
    value: str | None = row[store.COLUMN_OF_KIND[change.kind].name]
    return value


def _merged(old: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(old)
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def _check_per_customer(attributes: Mapping[str, Any], limits: AttributeLimits) -> None:
    if limits.max_per_customer is not None and len(attributes) > limits.max_per_customer:
        raise LimitExceeded(
            f"a customer may hold at most {limits.max_per_customer} attributes; "
            f"this write would leave {len(attributes)}",
            [FieldError("attributes", "limit.per_customer", "remove attributes first")],
        )


def _attribute_entries(
    profile_id: str, old: Mapping[str, Any], patch: Mapping[str, Any]
) -> list[ActivityEntry]:
    return [
        ActivityEntry(
            ActivityType.ATTRIBUTE_CHANGED,
            profile_id=profile_id,
            attribute=name,
            old_value=old.get(name),
            new_value=value,
        )
        for name, value in patch.items()
    ]


def _identifier_entries(
    profile_id: str,
    row: Mapping[str, Any],
    current_custom: Mapping[str, str],
    accepted: list[IdentifierChange],
) -> list[ActivityEntry]:
    return [
        ActivityEntry(
            ActivityType.IDENTIFIER_CHANGED,
            profile_id=profile_id,
            old_value=_current_value(row, current_custom, change),
            new_value=change.value,
            details={"identifier": change.field},
        )
        for change in accepted
    ]


def _conflict_entries(
    profile_id: str, conflicts: list[IdentifierConflictInfo]
) -> list[ActivityEntry]:
    entries: list[ActivityEntry] = []
    for conflict in conflicts:
        involved = [profile_id] + ([conflict.other_profile_id] if conflict.other_profile_id else [])
        entries.extend(
            ActivityEntry(
                ActivityType.ATTRIBUTE_UPDATE_FAILURE,
                profile_id=customer,
                reason=conflict.reason,
                details={"identifier": conflict.field, "profile_ids": involved},
            )
            for customer in involved
        )
    return entries


async def read_customer(connection: AsyncConnection, actor: Actor, profile_id: str) -> Customer:
    row = await store.read(connection, actor.workspace_id, profile_id)
    if row is None:
        raise NotFound(f"no customer with profile id {profile_id}")
    custom = await store.custom_identifiers_of(connection, actor.workspace_id, [profile_id])
    defaults = await catalog.defaults(connection, actor, CUSTOMER_NAMESPACE)
    return Customer.from_row(row, custom[profile_id], defaults)


async def _resolve(connection: AsyncConnection, actor: Actor, ref: CustomerRef) -> str:
    profile_id = await store.owner_of(connection, actor.workspace_id, ref)
    if profile_id is None:
        raise NotFound(f"no customer {ref}")
    return profile_id


async def get(db: Database, actor: Actor, ref: CustomerRef) -> Customer:
    async with db.reader() as connection:
        return await read_customer(connection, actor, await _resolve(connection, actor, ref))


async def find(db: Database, actor: Actor, ref: CustomerRef) -> Customer | None:
    try:
        return await get(db, actor, ref)
    except NotFound:
        return None


async def read_many(db: Database, actor: Actor, profile_ids: list[str]) -> dict[str, Customer]:
    """The customers of these profile ids that exist, by profile id, read together."""
    async with db.reader() as connection:
        return await read_customers(connection, actor, profile_ids)


async def read_customers(
    connection: AsyncConnection, actor: Actor, profile_ids: list[str]
) -> dict[str, Customer]:
    """`read_many` on the caller's connection (inside its transaction)."""
    rows = await store.read_many(connection, actor.workspace_id, profile_ids)
    custom = await store.custom_identifiers_of(connection, actor.workspace_id, list(rows))
    defaults = await catalog.defaults(connection, actor, CUSTOMER_NAMESPACE)
    return {key: Customer.from_row(row, custom[key], defaults) for key, row in rows.items()}


async def list_customers(
    db: Database, actor: Actor, cursor: str | None, limit: int
) -> Page[Customer]:
    after = cursor_string(cursor)
    async with db.reader() as connection:
        rows = await store.page(connection, actor.workspace_id, after, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        profile_ids = [row["profile_id"] for row in rows]
        custom = await store.custom_identifiers_of(connection, actor.workspace_id, profile_ids)
        defaults = await catalog.defaults(connection, actor, CUSTOMER_NAMESPACE)
    items = [Customer.from_row(row, custom[row["profile_id"]], defaults) for row in rows]
    next_cursor = encode_cursor(profile_ids[-1]) if more and profile_ids else None
    return Page(items, next_cursor)


async def delete(db: Database, actor: Actor, ref: CustomerRef) -> None:
    """Erase a customer: profile, identifiers, subscriptions, relationships, and the
    personal data in its activity (only anonymous counts remain)."""
    async with db.transaction() as connection:
        profile_id = await _resolve(connection, actor, ref)
        await store.read(connection, actor.workspace_id, profile_id, lock=True)
        customer = await read_customer(connection, actor, profile_id)
        erased = await erasure.erase(connection, actor, customer)
        details = {"erased_activity_entries": sum(erased.values()), "erased_by_type": erased}
        await activity.record(
            connection, actor, [ActivityEntry(ActivityType.CUSTOMER_DELETED, details=details)]
        )


def native_options(actor: Actor, settings: Settings) -> WriteOptions:
    return WriteOptions(
        limits=limits_for(actor, settings), max_identifier_bytes=settings.max_identifier_bytes
    )
