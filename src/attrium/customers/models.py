"""Customers as the services see them, and the writes they accept."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from attrium.customers.identity import IdentifierKind


# Values of the write path are not frozen, only never changed: a frozen dataclass's
# __init__ sets each field through object.__setattr__ (about 4x the cost), and a
# write builds several of them.
@dataclass(slots=True, unsafe_hash=True)
class Customer:
    profile_id: str
    id: str | None
    email: str | None
    phone: str | None
    anonymous_id: str | None
    custom_identifiers: dict[str, str]
    attributes: dict[str, Any]
    created_at: datetime | None  # None in a write's receipt (customers.receipts)
    updated_at: datetime | None
    defaulted: frozenset[str] = frozenset()  # attributes showing the catalog default

    @classmethod
    def from_row(
        cls, row: dict[str, Any], custom_identifiers: dict[str, str], defaults: dict[str, Any]
    ) -> "Customer":
        return cls(
            profile_id=row["profile_id"],
            id=row["external_id"],
            email=row["email"],
            phone=row["phone"],
            anonymous_id=row["anonymous_id"],
            custom_identifiers=custom_identifiers,
            attributes=with_defaults(row["attributes"], defaults),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            defaulted=frozenset(defaults) - frozenset(row["attributes"]),
        )

    def identifier(self, kind: IdentifierKind) -> str | None:
        values = {
            IdentifierKind.ID: self.id,
            IdentifierKind.EMAIL: self.email,
            IdentifierKind.PHONE: self.phone,
            IdentifierKind.ANONYMOUS_ID: self.anonymous_id,
            IdentifierKind.PROFILE: self.profile_id,
        }
        return values[kind]


def with_defaults(stored: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """Stored attributes, with catalog defaults for those the customer lacks."""
    if not defaults:
        return dict(stored)
    return {**defaults, **stored}


@dataclass(slots=True, unsafe_hash=True)
class CustomerWrite:
    """One create-or-update: identifiers to set (None removes) and an attribute patch."""

    identifiers: dict[IdentifierKind, str | None] = field(default_factory=dict)
    custom_identifiers: dict[str, str | None] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    update_only: bool = False
    create_only: bool = False  # AlreadyExists (naming the customer) instead of updating
    timestamp: str | None = None  # when the data is from, as `customers.timing` time text
    set_once: dict[str, Any] | None = None  # attributes written only where none is held

    def patch(self) -> dict[str, Any]:
        """Every attribute the write may set, to check against the catalog."""
        if not self.set_once:
            return self.attributes
        return {**self.set_once, **self.attributes}

    def once_names(self) -> frozenset[str]:
        """The `set_once` names the write's `attributes` do not set outright."""
        if not self.set_once:
            return frozenset()
        return frozenset(self.set_once).difference(self.attributes)


@dataclass(slots=True, unsafe_hash=True)
class IdentifierConflictInfo:
    """An identifier the request could not give its customer, and why."""

    field: str
    reason: str
    other_profile_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "reason": self.reason,
            "other_profile_id": self.other_profile_id,
        }


@dataclass(slots=True, unsafe_hash=True)
class WriteOutcome:
    customer: Customer
    created: bool
    changed: bool
    conflicts: list[IdentifierConflictInfo]
