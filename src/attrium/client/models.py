"""What the API answers, as typed models (unknown fields are kept, not refused)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from attrium.client.errors import ApiError, error_for


class Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


# Customers and the catalog.


class Device(Model):
    id: str
    platform: str
    last_used: datetime | None
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class Customer(Model):
    id: str | None
    profile_id: str
    email: str | None
    phone: str | None
    anonymous_id: str | None
    custom_identifiers: dict[str, str]
    attributes: dict[str, Any]
    # None when the key may not read customers: a write then answers what it sent.
    created_at: datetime | None
    updated_at: datetime | None
    devices: list[Device] | None = None  # in `get_customer` only
    as_of: datetime | None = None  # in `get_customer(as_of=...)` only


class BatchResult(Model):
    """One item of a batch: the customer written (201 created, 200 updated), or the
    problem refusing it (what the item's own PUT would have answered)."""

    status: int
    customer: Customer | None = None
    problem: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def error(self) -> ApiError | None:
        """The refusal as the exception a single call would have raised (not raised)."""
        return None if self.problem is None else error_for(self.status, self.problem)


class Attribute(Model):
    name: str
    type: Literal["string", "number", "boolean", "datetime", "enum", "object", "array"]
    enum_values: list[str] | None = None
    default: Any = None
    description: str | None = None
    max_length: int | None = None
    source: str = "api"
    declared: bool = False
    realtime: bool = False
    freshness: str | None = None
    customer_count: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_written_at: datetime | None = None
    last_written_by: str | None = None
    last_written_source: str | None = None
    last_api_write_at: datetime | None = None


class AttributeChange(Model):
    """A customer whose attribute changed in a window: the value before and after it."""

    profile_id: str
    id: str | None
    before: Any
    after: Any
    changes: int
    first_changed_at: datetime
    last_changed_at: datetime


class AttributeValue(Model):
    """One value a customer's attribute held (`value` None: removed), and who set it."""

    value: Any
    previous: Any
    changed_at: datetime
    source: str
    key_id: str | None
    activity_id: str
    type: str


class ActivityEntry(Model):
    id: str
    type: str
    profile_id: str | None
    customer_ref: str | None
    attribute: str | None
    # A customer write's changes: {"attributes": {NAME: {"old", "new"}}, "identifiers": ...}
    changes: dict[str, Any] | None = None
    old_value: Any
    new_value: Any
    reason: str | None
    details: dict[str, Any] | None
    key_id: str | None
    source: str
    created_at: datetime


# Identity.


class Suppression(Model):
    suppression_id: str
    profile_id: str | None
    identifiers: list[str]


class Merge(Model):
    """The outcome of merging a secondary customer into a primary."""

    customer: Customer
    merge_id: str
    secondary_profile_id: str
    moved_identifiers: list[str]
    dropped_identifiers: list[str]
    gained_attributes: list[str]
    moved_rows: dict[str, int]


class MergeRecord(Model):
    """A merge into a customer; `open` ones can be undone."""

    merge_id: str
    primary_profile_id: str
    secondary_profile_id: str
    state: str
    created_at: datetime
    closed_at: datetime | None


class UndoConflict(Model):
    """Something a write changed on the primary after the merge: it kept the later value."""

    kind: str
    name: str
    reason: str


class UndoneMerge(Model):
    """Both customers as undoing a merge left them."""

    merge_id: str
    primary: Customer
    secondary: Customer
    conflicts: list[UndoConflict]
    returned_rows: dict[str, int]


# Subscriptions.


class SignupSource(Model):
    id: str
    name: str
    channel: str
    type: str
    locale: str | None
    created_via: str
    created_at: datetime


class Topic(Model):
    id: str
    name: str
    description: str | None
    subscribed_by_default: bool
    created_at: datetime


class Subscription(Model):
    channel: str
    type: str
    status: Literal["subscribed", "unsubscribed"]
    signup_source_id: str | None
    locale: str | None
    single_opt_in: bool
    opted_in_at: datetime | None
    opted_out_at: datetime | None


class Subscriptions(Model):
    """A customer's subscription state."""

    profile_id: str
    unsubscribed: bool
    subscriptions: list[Subscription]
    topics: dict[str, bool]
    effective_topics: dict[str, bool]


# Objects and relationships.


class ObjectType(Model):
    id: str
    name: str
    created_at: datetime


class ObjectRecord(Model):
    """An object (a company, an account, …) with its attributes."""

    object_type_id: str
    object_id: str
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class Relationship(Model):
    profile_id: str
    object_type_id: str
    object_id: str
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


# Segments and templates.


class Segment(Model):
    id: str
    name: str
    description: str | None
    predicate: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class SegmentPreview(Model):
    count: int
    sample: list[Customer]


class MembershipChange(Model):
    profile_id: str
    id: str | None
    change: Literal["entered", "left"]


class Template(Model):
    id: str
    name: str
    description: str | None
    body: str
    created_at: datetime | None = None
    updated_at: datetime | None = None


class RenderedTemplate(Model):
    """A template rendered for one member of a segment."""

    profile_id: str
    id: str | None
    rendered: str


# Imports.

ImportState = Literal["uploading", "queued", "running", "done", "failed"]


class ImportJob(Model):
    id: str
    state: ImportState
    format: str
    upload_bytes: int
    rows_read: int
    applied: int
    rejected: int
    conflicts: int
    rows_per_second: float | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


class RejectedRow(Model):
    line: int
    customer: str | None
    applied: bool
    reason: str
    errors: list[dict[str, str]]


# The workspace and its keys.


class ApiKey(Model):
    id: str
    label: str | None
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None


class CreatedKey(ApiKey):
    token: str


class Workspace(Model):
    id: str
    name: str
    settings: dict[str, int | bool]
    overrides: dict[str, int | bool]
