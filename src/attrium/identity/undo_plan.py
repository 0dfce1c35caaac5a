"""The rule of undoing a merge, pure: what the primary gives back and what it keeps.

The primary gives back each attribute, identifier and side row the merge moved onto
it, unless a later write touched it (an entry recorded on the primary after the
merge names it, or its value is no longer the one the merge moved): then the later
value stays on the primary and the undo lists a conflict. The secondary gets back
everything it had; an identifier someone holds by then stays theirs (a conflict).
"""

from dataclasses import dataclass, field
from typing import Any

from attrium.activity.service import change
from attrium.customers.identity import COLUMN_KINDS
from attrium.customers.planning import COLUMN_NAMES

FIELD_OF_COLUMN = {COLUMN_NAMES[kind]: kind.value for kind in COLUMN_KINDS}

CHANGED = "changed_since_merge"
REMOVED = "removed_since_merge"
HELD = "held_by_another_customer"
GONE = "object_deleted_since_merge"


@dataclass(frozen=True, slots=True)
class UndoConflict:
    kind: str  # "attribute", "identifier", or a side table: "subscriptions", "devices", ...
    name: str  # the attribute's name, the identifier's field, or the row's key
    reason: str  # CHANGED, REMOVED, HELD or GONE

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "reason": self.reason}


@dataclass(slots=True)
class Touched:
    """What writes to the primary after the merge changed: attribute names (or paths)
    and identifier fields, as their entries' `changes` name them."""

    attributes: set[str] = field(default_factory=set)
    identifiers: set[str] = field(default_factory=set)

    def add(self, changes: dict[str, Any]) -> None:
        # A stale write (older than the value's time) left the value as it was.
        self.attributes.update(
            name
            for name, change in (changes.get("attributes") or {}).items()
            if not (isinstance(change, dict) and change.get("stale"))
        )
        self.identifiers.update(changes.get("identifiers") or {})

    def touches_attribute(self, name: str) -> bool:
        return any(
            path == name or path.startswith(f"{name}.") or name.startswith(f"{path}.")
            for path in self.attributes
        )


@dataclass(slots=True)
class PrimaryReturn:
    row: dict[str, Any]  # the primary's row as the undo leaves it
    columns: frozenset[str]  # identifier columns given back
    custom_removed: list[str]  # custom identifier names given back
    attribute_changes: dict[str, Any]  # for the undo's entry
    identifier_changes: dict[str, Any]
    conflicts: list[UndoConflict]


_MISSING = object()


def plan_primary(
    row: dict[str, Any],
    custom: dict[str, str],
    gained: dict[str, Any],
    touched: Touched,
) -> PrimaryReturn:
    """What the primary (`row`, `custom`, as it is now) gives back of what it `gained`."""
    attributes = dict(row["attributes"])
    times = dict(row.get("attribute_times") or {})
    conflicts: list[UndoConflict] = []
    attribute_changes: dict[str, Any] = {}
    for name, value in sorted(gained["attributes"].items()):
        held = attributes.get(name, _MISSING)
        if held is _MISSING or touched.touches_attribute(name) or held != value:
            reason = REMOVED if held is _MISSING else CHANGED
            conflicts.append(UndoConflict("attribute", name, reason))
            continue
        del attributes[name]
        times.pop(name, None)  # the primary never held it: no time of its own either
        attribute_changes[name] = change(value, None)
    new_row = {**row, "attributes": attributes}
    if "attribute_times" in row:
        new_row["attribute_times"] = times
    columns: set[str] = set()
    identifier_changes: dict[str, Any] = {}
    for column, value in sorted(gained["columns"].items()):
        name = FIELD_OF_COLUMN[column]
        if row[column] != value or name in touched.identifiers:
            reason = REMOVED if row[column] is None else CHANGED
            conflicts.append(UndoConflict("identifier", name, reason))
            continue
        new_row[column] = None
        columns.add(column)
        identifier_changes[name] = change(value, None)
    custom_removed: list[str] = []
    for custom_name, value in sorted(gained["custom"].items()):
        name = f"custom_identifiers.{custom_name}"
        if custom.get(custom_name) != value or name in touched.identifiers:
            reason = REMOVED if custom_name not in custom else CHANGED
            conflicts.append(UndoConflict("identifier", name, reason))
            continue
        custom_removed.append(custom_name)
        identifier_changes[name] = change(value, None)
    return PrimaryReturn(
        new_row,
        frozenset(columns),
        custom_removed,
        attribute_changes,
        identifier_changes,
        conflicts,
    )


def same_row(snapshot_row: dict[str, Any], current: dict[str, Any] | None) -> bool:
    """Whether a side row is still as the merge moved it (whoever owns it)."""
    if current is None:
        return False
    owner = ("workspace_id", "profile_id")
    return {k: v for k, v in snapshot_row.items() if k not in owner} == {
        k: v for k, v in current.items() if k not in owner
    }
