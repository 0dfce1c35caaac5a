"""The identity and attribute rules of a customer write, as pure functions.

Which customer a write means:
- the one holding the path's identifier, if any;
- else (unless addressed by profile) the one holding an identifier of the body,
  who is then given the path's identifier;
- else a new customer, unless the write is update-only.

An identifier that would end up on two customers, or that the request may not
change, is left as it is; the rest of the write applies, and an
`attribute_update_failure` lands in the activity of every customer involved.

Every path that writes customers (the native routes, the dialects, the batch route,
imports, merges) plans here, against rows it read under their lock: a plan says
what to write and which activity entry records it (one entry per write).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from attrium.activity.service import ActivityEntry, ActivityType, change
from attrium.attributes.models import AttributeLimits
from attrium.attributes.writes import check_per_customer, effective_patch, merged
from attrium.auth.actor import Actor
from attrium.core.errors import AlreadyExists, NotFound
from attrium.core.ids import new_ulid
from attrium.customers.entries import write_entry
from attrium.customers.identity import (
    COLUMN_KINDS,
    CustomerRef,
    IdentifierKind,
    check_custom_name,
    normalise,
)
from attrium.customers.models import CustomerWrite, IdentifierConflictInfo
from attrium.customers.timing import NO_NAMES, NO_TIMES, admitted, advanced

# The identifier columns of the customers table, by kind.
COLUMN_NAMES = {
    IdentifierKind.ID: "external_id",
    IdentifierKind.EMAIL: "email",
    IdentifierKind.PHONE: "phone",
    IdentifierKind.ANONYMOUS_ID: "anonymous_id",
    IdentifierKind.PROFILE: "profile_id",
}


# Values of the write path are not frozen, only never changed: a frozen dataclass's
# __init__ sets each field through object.__setattr__ (about 4x the cost), and a
# write builds several of them.
@dataclass(slots=True, unsafe_hash=True)
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


@dataclass(slots=True, unsafe_hash=True)
class CustomerState:
    """A customer's row and custom identifiers as a write leaves them (or found them),
    and which identifier columns of the row the write changed."""

    row: dict[str, Any]
    custom_identifiers: dict[str, str]
    changed_columns: frozenset[str] = frozenset()

    @property
    def profile_id(self) -> str:
        profile_id: str = self.row["profile_id"]
        return profile_id


@dataclass(slots=True, unsafe_hash=True)
class CreatePlan:
    """What creating one customer writes: its row, custom identifiers and activity."""

    state: CustomerState
    entries: list[ActivityEntry]
    conflicts: list[IdentifierConflictInfo]
    attributes_gained: list[str]


def plan_create(
    actor: Actor,
    ref: CustomerRef,
    changes: list[IdentifierChange],
    patch: dict[str, Any],
    options: WriteOptions,
    now: Any,
    at: str,
    timestamped: bool = False,
) -> CreatePlan:
    """A new customer; its attributes are from `at` (a removal sent with a timestamp
    is remembered too, so that an older write arriving later does not set it)."""
    path_change = IdentifierChange(ref.kind, ref.value, ref.name, from_path=True)
    identifiers: dict[tuple[IdentifierKind, str | None], IdentifierChange] = {
        (path_change.kind, path_change.name): path_change
    }
    conflicts = []
    for requested in changes:
        key = (requested.kind, requested.name)
        if key in identifiers and identifiers[key].value != requested.value:
            conflicts.append(IdentifierConflictInfo(requested.field, _PATH_DIFFERS))
        elif requested.value is not None:
            identifiers[key] = requested
    attributes = {name: value for name, value in patch.items() if value is not None}
    check_per_customer(attributes, options.limits)
    profile_id = new_ulid()
    row: dict[str, Any] = {
        "workspace_id": actor.workspace_id,
        "profile_id": profile_id,
        "external_id": None,
        "email": None,
        "phone": None,
        "anonymous_id": None,
        "attributes": attributes,
        "attribute_times": dict.fromkeys(patch if timestamped else attributes, at),
        "created_at": now,
        "updated_at": now,
    }
    custom: dict[str, str] = {}
    for (kind, name), held in identifiers.items():
        if kind is not IdentifierKind.CUSTOM:
            row[COLUMN_NAMES[kind]] = held.value
        elif name is not None and held.value is not None:
            custom[name] = held.value
    entry = write_entry(
        ActivityType.CUSTOMER_CREATED,
        profile_id,
        {name: change(None, value) for name, value in attributes.items()},
        {held.field: change(None, held.value) for held in identifiers.values()},
    )
    assert entry is not None
    return CreatePlan(
        CustomerState(row, custom),
        [entry, *_conflict_entries(profile_id, conflicts)],
        conflicts,
        list(attributes),
    )


_PATH_DIFFERS = "the body gives a different value for the identifier the path addresses by"


@dataclass(slots=True, unsafe_hash=True)
class UpdatePlan:
    """What updating one customer writes: `state` is the customer as the write leaves it."""

    state: CustomerState
    changed: bool
    entries: list[ActivityEntry]
    conflicts: list[IdentifierConflictInfo]
    attributes_gained: list[str]
    attributes_lost: list[str]
    attributes_written: list[str]
    custom_identifier_changes: dict[str, str | None]  # None removes
    times_moved: bool = False  # the attributes' times changed (maybe alone): write the row


def plan_update(
    ref: CustomerRef,
    found: CustomerState,
    changes: list[IdentifierChange],
    owners: Mapping[IdentifierChange, str | None],
    patch: dict[str, Any],
    options: WriteOptions,
    now: Any,
    at: str,
    timestamped: bool = False,
    once: frozenset[str] = NO_NAMES,
) -> UpdatePlan:
    """The write to the locked customer `found`, under the identity and attribute rules;
    its attributes are from `at` (`customers.timing`: a timestamped write older than a
    value leaves it, `once` names are written only where no value is held)."""
    row = found.row
    profile_id = found.profile_id
    accepted, conflicts = _plan_identifiers(ref, found, changes, owners, options)
    old_attributes: dict[str, Any] = row["attributes"]
    old_times: Mapping[str, str] = row["attribute_times"] or NO_TIMES
    stale: dict[str, Any] = {}
    if timestamped or once:
        patch, stale = admitted(patch, old_attributes, old_times, at if timestamped else None, once)
    attribute_patch = effective_patch(old_attributes, patch)
    times = advanced(old_times, patch if timestamped else attribute_patch, at, timestamped)
    attributes = merged(old_attributes, attribute_patch) if attribute_patch else old_attributes
    if attribute_patch:
        check_per_customer(attributes, options.limits)
    new_row = dict(row)
    new_custom = dict(found.custom_identifiers)
    custom_changes: dict[str, str | None] = {}
    columns: set[str] = set()
    for accepted_change in accepted:
        if accepted_change.kind is IdentifierKind.CUSTOM and accepted_change.name:
            custom_changes[accepted_change.name] = accepted_change.value
            _set_or_remove(new_custom, accepted_change.name, accepted_change.value)
        else:
            columns.add(COLUMN_NAMES[accepted_change.kind])
            new_row[COLUMN_NAMES[accepted_change.kind]] = accepted_change.value
    changed = bool(accepted or attribute_patch)
    if changed:
        new_row["attributes"] = attributes
        new_row["updated_at"] = now
    if times is not None:
        new_row["attribute_times"] = times
    attribute_changes = {
        name: change(old_attributes.get(name), value) for name, value in attribute_patch.items()
    }
    if stale:
        attribute_changes.update(stale)
    entry = write_entry(
        ActivityType.CUSTOMER_UPDATED,
        profile_id,
        attribute_changes,
        {c.field: change(_current_value(found, c), c.value) for c in accepted},
    )
    return UpdatePlan(
        state=CustomerState(new_row, new_custom, frozenset(columns)),
        changed=changed,
        entries=[*([entry] if entry else []), *_conflict_entries(profile_id, conflicts)],
        conflicts=conflicts,
        attributes_gained=[
            name for name, value in attribute_patch.items() if name not in old_attributes
        ],
        attributes_lost=[name for name, value in attribute_patch.items() if value is None],
        attributes_written=list(attribute_patch),
        custom_identifier_changes=custom_changes,
        times_moved=times is not None,
    )


def _set_or_remove(mapping: dict[str, str], name: str, value: str | None) -> None:
    if value is None:
        mapping.pop(name, None)
    else:
        mapping[name] = value


def _plan_identifiers(
    ref: CustomerRef,
    found: CustomerState,
    changes: list[IdentifierChange],
    owners: Mapping[IdentifierChange, str | None],
    options: WriteOptions,
) -> tuple[list[IdentifierChange], list[IdentifierConflictInfo]]:
    profile_id = found.profile_id
    by_profile = ref.kind is IdentifierKind.PROFILE
    locked = options.locked_kinds if options.locked_kinds is not None else frozenset({ref.kind})
    accepted: list[IdentifierChange] = []
    conflicts: list[IdentifierConflictInfo] = []
    for requested in changes:
        current = _current_value(found, requested)
        if requested.value == current:
            continue
        owner = owners.get(requested)
        reason = None
        if owner is not None and owner != profile_id:
            reason = f"{requested.field} belongs to another customer"
        elif requested.from_path and current is not None:
            reason = (
                f"{requested.via} belongs to a customer whose {requested.field} "
                "differs from the path's"
            )
            conflicts.append(IdentifierConflictInfo(requested.via or requested.field, reason))
            continue
        elif not by_profile and _addresses(ref, requested):
            reason = _PATH_DIFFERS
        elif not by_profile and current is not None and requested.kind in locked:
            reason = (
                f"{requested.field} is already set; address the customer by profile id to change it"
            )
        if reason:
            conflicts.append(
                IdentifierConflictInfo(
                    requested.field, reason, owner if owner != profile_id else None
                )
            )
        else:
            accepted.append(requested)
    return accepted, conflicts


def _addresses(ref: CustomerRef, requested: IdentifierChange) -> bool:
    return not requested.from_path and ref.kind is requested.kind and ref.name == requested.name


def _current_value(found: CustomerState, requested: IdentifierChange) -> str | None:
    if requested.kind is IdentifierKind.CUSTOM:
        return found.custom_identifiers.get(requested.name or "")
    value: str | None = found.row[COLUMN_NAMES[requested.kind]]
    return value


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
