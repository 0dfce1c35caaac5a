"""Recording events: each is one `event` entry of the activity log.

An entry's `details` hold the event (`name`, `data`, `timestamp`, and `id`, `type`,
`anonymous_id` when given) and its `created_at` is the event's time, so that the
log's `since`/`until` and the segment condition "performed EVENT at least N times
within the last D days" (`events.conditions`) count when it happened, not when it
arrived. The customer's row is locked while its event is recorded: an erasure that
runs at the same time waits for it, or the event finds no customer.

An anonymous event names an `anonymous_id`. If a customer holds that identifier the
event is theirs; otherwise it is kept unattached, naming the anonymous id
(`customer_ref` "anonymous_id:…"), until a write gives a customer that id: the write's
store stage makes it theirs (`activity.store.adopt_anonymous_events`).
"""

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity import service as activity
from attrium.activity import store as activity_store
from attrium.activity.service import ActivityEntry, ActivityType
from attrium.auth.actor import Actor
from attrium.core.clock import isoformat, utcnow
from attrium.core.database import Database
from attrium.core.errors import FieldError, NotFound, ValidationFailed
from attrium.customers import store as customer_store
from attrium.customers.identity import CustomerRef, IdentifierKind
from attrium.events.models import EventInput
from attrium.identity.suppressions import suppression_errors

MAX_NAME_BYTES = 255
MAX_DATA_BYTES = 100_000
MAX_ID_BYTES = 255


async def record(db: Database, actor: Actor, ref: CustomerRef, event: EventInput) -> dict[str, Any]:
    """Record an event of the customer `ref` names; NotFound if there is none."""
    check(event)
    async with db.transaction() as connection:
        profile_id = await customer_store.owner_of(connection, actor.workspace_id, ref)
        if profile_id is None or not await _locked(connection, actor, profile_id):
            raise NotFound(f"no customer {ref}")
        return await _insert(connection, actor, event, profile_id, None)


async def record_anonymous(
    db: Database, actor: Actor, anonymous_id: str | None, event: EventInput
) -> dict[str, Any]:
    """Record an event naming an anonymous id (or none): the customer's who holds the
    id, else unattached. A suppressed anonymous id is refused, as in a write."""
    check(event)
    ref = None if anonymous_id is None else CustomerRef(IdentifierKind.ANONYMOUS_ID, anonymous_id)
    async with db.transaction() as connection:
        profile_id = None
        if ref is not None:
            [suppressed] = await suppression_errors(connection, actor, [[("anonymous_id", ref)]])
            if suppressed is not None:
                raise suppressed
            profile_id = await customer_store.owner_of(connection, actor.workspace_id, ref)
            if profile_id is not None and not await _locked(connection, actor, profile_id):
                profile_id = None
        return await _insert(connection, actor, event, profile_id, ref)


def check(event: EventInput) -> None:
    """Every rule the event breaks, at once, each naming its field."""
    errors: list[FieldError] = []
    if not event.name.strip():
        errors.append(FieldError("name", "name.required", "an event has a non-empty name"))
    elif len(event.name.encode()) > MAX_NAME_BYTES:
        message = f"an event name holds at most {MAX_NAME_BYTES} bytes"
        errors.append(FieldError("name", "name.length", message))
    if "\x00" in event.name:
        message = "text cannot hold the NUL character (U+0000)"
        errors.append(FieldError("name", "string.nul", message))
    if len(orjson.dumps(event.data)) > MAX_DATA_BYTES:
        message = f"an event's data holds at most {MAX_DATA_BYTES} bytes of JSON"
        errors.append(FieldError("data", "data.size", message))
    if event.event_id is not None and not 0 < len(event.event_id.encode()) <= MAX_ID_BYTES:
        message = f"an event id holds 1 to {MAX_ID_BYTES} bytes"
        errors.append(FieldError("id", "id.length", message))
    if errors:
        raise ValidationFailed(errors[0].message, errors)


async def _locked(connection: AsyncConnection, actor: Actor, profile_id: str) -> bool:
    row = await customer_store.read(connection, actor.workspace_id, profile_id, lock=True)
    return row is not None


async def _insert(
    connection: AsyncConnection,
    actor: Actor,
    event: EventInput,
    profile_id: str | None,
    anonymous: CustomerRef | None,
) -> dict[str, Any]:
    happened = (event.timestamp or utcnow()).astimezone(UTC)
    entry = ActivityEntry(
        type=ActivityType.EVENT,
        profile_id=profile_id,
        customer_ref=None if anonymous is None else str(anonymous),
        details=_details(event, happened, anonymous),
    )
    [record] = activity.records_of(actor.workspace_id, actor, [entry])
    row = dict(zip(activity_store.COLUMN_NAMES, record, strict=True))
    row["created_at"] = happened
    await activity_store.insert_entries(connection, [tuple(row.values())])
    return activity.as_public(row)


def _details(
    event: EventInput, happened: datetime, anonymous: CustomerRef | None
) -> dict[str, Any]:
    details: dict[str, Any] = {
        "name": event.name,
        "data": event.data,
        "timestamp": isoformat(happened),
    }
    if event.event_id is not None:
        details["id"] = event.event_id
    if event.kind is not None:
        details["type"] = event.kind
    if anonymous is not None:
        details["anonymous_id"] = anonymous.value
    return details
