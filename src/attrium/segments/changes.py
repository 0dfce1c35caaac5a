"""Membership changes: who entered or left a segment since a time.

Membership at `since` is judged on the customer as the activity log says it was then
(see `store.membership_changes`), in the same query as membership now.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from attrium.auth.actor import Actor
from attrium.core.clock import isoformat, utcnow
from attrium.core.database import Database
from attrium.core.errors import FieldError, ValidationFailed
from attrium.core.pagination import decode_cursor, encode_cursor
from attrium.segments import store
from attrium.segments.service import saved_predicate


@dataclass(frozen=True, slots=True)
class MembershipChange:
    profile_id: str
    id: str | None
    change: str  # "entered" or "left"


@dataclass(frozen=True, slots=True)
class ChangesPage:
    since: datetime
    as_of: datetime
    items: list[MembershipChange]
    next_cursor: str | None


async def membership_changes(
    db: Database, actor: Actor, segment_id: str, since: datetime, cursor: str | None, limit: int
) -> ChangesPage:
    """Customers who entered or left the segment between `since` and now.

    The first page fixes "now" (`as_of`); its cursors carry it, so later pages compare
    the same two moments.
    """
    as_of, after = _changes_position(cursor)
    as_of = as_of or utcnow()
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    if since > as_of:
        message = "since is a date-time in the past (without a zone it is UTC)"
        raise ValidationFailed(message, [FieldError("since", "since.range", message)])
    async with db.reader() as connection:
        predicate = await saved_predicate(connection, actor, segment_id)
        rows = await store.membership_changes(
            connection, actor.workspace_id, predicate, since, as_of, after, limit + 1
        )
    found = [MembershipChange(row["profile_id"], row["external_id"], row["change"]) for row in rows]
    more = len(found) > limit
    found = found[:limit]
    next_cursor = (
        encode_cursor([isoformat(as_of), found[-1].profile_id]) if more and found else None
    )
    return ChangesPage(since, as_of, found, next_cursor)


def _changes_position(cursor: str | None) -> tuple[datetime | None, str | None]:
    position = decode_cursor(cursor)
    if position is None:
        return None, None
    try:
        as_of_text, after = position
        return datetime.fromisoformat(as_of_text), str(after)
    except (TypeError, ValueError):
        message = "pass next_cursor from a previous page unchanged"
        raise ValidationFailed(
            "the cursor is not one this server gave out", [FieldError("cursor", "format", message)]
        ) from None
