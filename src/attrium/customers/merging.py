"""The rules of merging one customer into another: what the primary keeps and gains.

Pure, like `customers.planning` (whose states and entries it uses); `identity.merge`
locks both customers, plans with `plan_merge` and stores through the write pipeline.
"""

from dataclasses import dataclass
from typing import Any

from attrium.activity.service import ActivityEntry, ActivityType, change
from attrium.attributes.writes import check_per_customer
from attrium.customers.entries import write_entry
from attrium.customers.identity import COLUMN_KINDS
from attrium.customers.planning import COLUMN_NAMES, CustomerState, WriteOptions


# Not frozen, as the planning module's values (see there).
@dataclass(slots=True, unsafe_hash=True)
class MergePlan:
    """What merging a secondary into a primary writes to the primary."""

    primary: CustomerState  # as the merge leaves it
    entry: ActivityEntry
    moved_identifiers: list[str]  # fields the primary gained
    dropped_identifiers: list[str]  # the secondary's fields the primary already had
    gained_attributes: list[str]
    custom_identifier_changes: dict[str, str | None]


def plan_merge(
    primary: CustomerState,
    secondary: CustomerState,
    options: WriteOptions,
    now: Any,
    details: dict[str, Any],
) -> MergePlan:
    """The primary keeps what it has and gains what it lacks of the secondary's
    attributes and identifiers (an identifier kind it holds stays its own)."""
    old_attributes: dict[str, Any] = primary.row["attributes"]
    gained = {
        name: value
        for name, value in secondary.row["attributes"].items()
        if name not in old_attributes
    }
    attributes = {**old_attributes, **gained}
    check_per_customer(attributes, options.limits)
    # A gained value keeps the time it is from: an older write must not replace it.
    secondary_times = secondary.row.get("attribute_times") or {}
    times = {
        **(primary.row.get("attribute_times") or {}),
        **{name: secondary_times[name] for name in gained if name in secondary_times},
    }
    row = {**primary.row, "attributes": attributes, "attribute_times": times, "updated_at": now}
    identifiers: dict[str, Any] = {}
    moved: list[str] = []
    dropped: list[str] = []
    columns: set[str] = set()
    for kind in COLUMN_KINDS:
        column = COLUMN_NAMES[kind]
        value = secondary.row[column]
        if value is None:
            continue
        if primary.row[column] is None:
            row[column] = value
            columns.add(column)
            identifiers[kind.value] = change(None, value)
            moved.append(kind.value)
        else:
            dropped.append(kind.value)
    custom = dict(primary.custom_identifiers)
    custom_changes: dict[str, str | None] = {}
    for name, value in secondary.custom_identifiers.items():
        field = f"custom_identifiers.{name}"
        if name in custom:
            dropped.append(field)
            continue
        custom[name] = custom_changes[name] = value
        identifiers[field] = change(None, value)
        moved.append(field)
    entry = write_entry(
        ActivityType.CUSTOMER_MERGED,
        primary.profile_id,
        {name: change(None, value) for name, value in gained.items()},
        identifiers,
        {**details, "identifiers": moved, "attributes": sorted(gained)},
    )
    assert entry is not None
    return MergePlan(
        CustomerState(row, custom, frozenset(columns)),
        entry,
        moved,
        dropped,
        sorted(gained),
        custom_changes,
    )
