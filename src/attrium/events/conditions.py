"""SQL conditions on the `customers` table, for segments: who performed which event.

Counted from the customer's `event` entries of the activity log, in the database,
through the index migration 0011_devices made for them (workspace, customer, name,
time): a condition reads at most N entries of one customer.
"""

from datetime import datetime

from sqlalchemy import ColumnElement, and_, literal, select

from attrium.activity.store import IS_EVENT, activity, event_name
from attrium.customers.store import customers


def performed(
    backend: str, name: str, at_least: int, since: datetime | None, until: datetime
) -> ColumnElement[bool]:
    """The customer has at least `at_least` events `name` that happened in
    [since, until] (since None: ever, up to `until`). Never NULL."""
    condition = and_(
        activity.c.workspace_id == customers.c.workspace_id,
        activity.c.profile_id == customers.c.profile_id,
        IS_EVENT,
        event_name(backend) == name,
        activity.c.created_at <= until,
    )
    if since is not None:
        condition = and_(condition, activity.c.created_at >= since)
    # EXISTS of the N-th event: reads no more than N entries, however many there are.
    nth = select(literal(1)).where(condition).limit(1).offset(at_least - 1)
    return nth.correlate(customers).exists()
