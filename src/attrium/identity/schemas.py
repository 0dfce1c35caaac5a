"""Wire models for suppression and merging."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from attrium.core.errors import FieldError, ValidationFailed
from attrium.core.schemas import InputModel
from attrium.customers.identity import CustomerRef, IdentifierKind, custom_ref, normalise
from attrium.customers.schemas import CustomerOut


class SuppressionOut(BaseModel):
    suppression_id: str
    profile_id: str | None
    identifiers: list[str]


class CustomIdentifierIn(InputModel):
    name: str
    value: str


class IdentifierIn(InputModel):
    """One customer, named by exactly one of its identifiers."""

    id: str | None = None
    email: str | None = None
    phone: str | None = None
    anonymous_id: str | None = None
    profile_id: str | None = None
    custom_identifier: CustomIdentifierIn | None = None

    def to_ref(self, field: str, max_bytes: int) -> CustomerRef:
        given = [name for name in sorted(self.model_fields_set) if getattr(self, name) is not None]
        if len(given) != 1:
            message = "name the customer by exactly one identifier"
            raise ValidationFailed(message, [FieldError(field, "identifier.exactly_one", message)])
        name = given[0]
        if self.custom_identifier is not None:
            custom = self.custom_identifier
            return custom_ref(custom.name, custom.value, f"{field}.{name}", max_bytes)
        kind = IdentifierKind.PROFILE if name == "profile_id" else IdentifierKind(name)
        value: Any = getattr(self, name)
        return CustomerRef(kind, normalise(kind, value, f"{field}.{name}", max_bytes))


class MergeIn(InputModel):
    primary: IdentifierIn = Field(description="must exist; keeps its values")
    secondary: IdentifierIn = Field(description="merged into the primary, then deleted")


class MergeOut(BaseModel):
    customer: CustomerOut
    merge_id: str = Field(description="undo it with POST /v1/merges/{merge_id}/undo")
    secondary_profile_id: str
    moved_identifiers: list[str]
    dropped_identifiers: list[str]
    gained_attributes: list[str]
    moved_rows: dict[str, int]


class UndoConflictOut(BaseModel):
    kind: str = Field(description="attribute, identifier, or a side table (subscriptions, ...)")
    name: str
    reason: str


class UndoMergeOut(BaseModel):
    merge_id: str
    primary: CustomerOut
    secondary: CustomerOut
    conflicts: list[UndoConflictOut]
    returned_rows: dict[str, int]


class MergeRecordOut(BaseModel):
    merge_id: str
    primary_profile_id: str
    secondary_profile_id: str
    state: str = Field(description="open (undoable), undone, erased or merged_again")
    created_at: datetime
    closed_at: datetime | None


class MergeList(BaseModel):
    items: list[MergeRecordOut]
