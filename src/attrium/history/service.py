"""As-of reads: a customer as it was at a past instant, and one attribute's values.

How a past is rebuilt is `history.store`'s rule; this checks the instant asked for
(`as_of`) against the retention window, and shapes the answers.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity import store as activity_store
from attrium.attributes import service as catalog
from attrium.attributes.models import CUSTOMER_NAMESPACE
from attrium.attributes.writes import merged
from attrium.auth.actor import Actor
from attrium.core.clock import isoformat, utcnow
from attrium.core.database import Database
from attrium.core.errors import FieldError, NotFound, ValidationFailed
from attrium.core.settings import Settings
from attrium.customers import store as customer_store
from attrium.customers.identity import CustomerRef
from attrium.customers.models import Customer
from attrium.customers.reads import resolve
from attrium.history import store

# The identifier columns of a customer's row, by the field name its entries use.
_IDENTIFIER_COLUMNS = {"id": "external_id", "email": "email", "phone": "phone"}
_IDENTIFIER_COLUMNS["anonymous_id"] = "anonymous_id"
_CUSTOM_PREFIX = "custom_identifiers."
AS_OF_HELP = "RFC 3339 with a zone: read as of this instant (a later one means now)"


def oldest_reachable(settings: Settings, now: datetime) -> datetime | None:
    """The earliest instant an as-of read may ask for (None: no limit)."""
    if settings.history_days is None:
        return None
    return now - timedelta(days=settings.history_days)


def parse_as_of(text: str | None, settings: Settings, field: str = "as_of") -> datetime | None:
    """`as_of` as an aware instant no later than now; 422 naming `field` otherwise, and
    when it is older than the retention window (naming the oldest reachable instant)."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        message = "as_of is an RFC 3339 date-time with a zone, such as 2026-03-01T00:00:00Z"
        raise ValidationFailed(message, [FieldError(field, "as_of.format", message)])
    now = utcnow()
    check_reachable(moment, settings, field, now)
    return min(moment, now)


def check_reachable(
    moment: datetime, settings: Settings, field: str, now: datetime | None = None
) -> None:
    """422 naming `field` and the oldest reachable instant if `moment` is before the
    retention window (its history may be pruned)."""
    oldest = oldest_reachable(settings, now or utcnow())
    if oldest is not None and moment < oldest:
        kept = f"history is kept for {settings.history_days:g} days"
        message = f"{kept}: {field} must be at or after {isoformat(oldest)}"
        raise ValidationFailed(
            message,
            [FieldError(field, "history.retention", message)],
            extra={"oldest_as_of": isoformat(oldest)},
        )


async def customer_as_of(db: Database, actor: Actor, ref: CustomerRef, as_of: datetime) -> Customer:
    """The customer `ref` names now, as it was at `as_of`; NotFound if it did not exist."""
    async with db.reader() as connection:
        profile_id = await resolve(connection, actor, ref)
        row = await customer_store.read(connection, actor.workspace_id, profile_id)
        if row is None or row["created_at"] > as_of:
            raise NotFound(f"customer {ref} did not exist at {isoformat(as_of)}")
        custom = await customer_store.custom_identifiers_of(
            connection, actor.workspace_id, [profile_id]
        )
        return await _rebuilt(connection, actor, row, custom[profile_id], as_of)


async def _rebuilt(
    connection: AsyncConnection,
    actor: Actor,
    row: dict[str, Any],
    custom: dict[str, str],
    as_of: datetime,
) -> Customer:
    profile_id = row["profile_id"]
    workspace_id = actor.workspace_id
    attributes, identifiers = await store.patches_of(connection, workspace_id, profile_id, as_of)
    past = {**row, "attributes": merged(row["attributes"], attributes)}
    custom = dict(custom)
    for field, value in identifiers.items():
        if field.startswith(_CUSTOM_PREFIX):
            custom[field.removeprefix(_CUSTOM_PREFIX)] = value
        elif field in _IDENTIFIER_COLUMNS:
            past[_IDENTIFIER_COLUMNS[field]] = value
    custom = {name: value for name, value in custom.items() if value is not None}
    if attributes or identifiers:
        changed = await store.last_change_until(connection, workspace_id, profile_id, as_of)
        past["updated_at"] = changed or row["created_at"]
    defaults = await catalog.defaults(connection, actor, CUSTOMER_NAMESPACE)
    return Customer.from_row(past, custom, defaults)


@dataclass(frozen=True, slots=True)
class HeldValue:
    """One value an attribute took: set by an entry (`value` None: removed)."""

    value: Any
    previous: Any
    changed_at: datetime
    source: str
    key_id: str | None
    activity_id: str
    type: str


async def attribute_history(
    db: Database, actor: Actor, ref: CustomerRef, name: str, before_id: str | None, limit: int
) -> tuple[list[HeldValue], str | None]:
    """Every value attribute `name` of the customer took, newest first, one page of
    them (after `before_id`); the second item is the next page's position."""
    table = activity_store.activity
    async with db.reader() as connection:
        profile_id = await resolve(connection, actor, ref)
        query = activity_store.newest_first(actor.workspace_id, before_id, limit + 1).where(
            store.own_changes(actor.workspace_id),
            table.c.profile_id == profile_id,
            activity_store.concerns(connection, actor.workspace_id, name),
        )
        rows = await activity_store.fetch(connection, query)
    values = [_held_value(row, name) for row in rows[:limit]]
    more = len(rows) > limit
    return values, values[-1].activity_id if more and values else None


def _held_value(row: dict[str, Any], name: str) -> HeldValue:
    pair = row["changes"]["attributes"][name]
    return HeldValue(
        value=pair["new"],
        previous=pair["old"],
        changed_at=row["created_at"],
        source=row["source"],
        key_id=row["key_id"],
        activity_id=row["activity_id"],
        type=row["type"],
    )
