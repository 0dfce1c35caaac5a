"""SQL conditions on the `customers` table, for segments: who is subscribed to what.

Each function returns a boolean expression correlated with `customers` (its
`workspace_id` and `profile_id`), to use in a WHERE clause over that table.
"""

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, not_, or_

from attrium.customers.store import customers
from attrium.subscriptions.models import Channel, SubscriptionStatus, SubscriptionType
from attrium.subscriptions.store import subscriptions, topic_preferences, unsubscribes


def _of_the_customer(table: Any) -> ColumnElement[bool]:
    return and_(
        table.c.workspace_id == customers.c.workspace_id,
        table.c.profile_id == customers.c.profile_id,
    )


def has_subscription(
    channel: Channel | None = None,
    subscription_type: SubscriptionType | None = None,
    status: SubscriptionStatus = SubscriptionStatus.SUBSCRIBED,
) -> ColumnElement[bool]:
    """The customer has a subscription in `status` (of the channel and type, if given)."""
    condition = and_(_of_the_customer(subscriptions), subscriptions.c.status == status.value)
    if channel is not None:
        condition = and_(condition, subscriptions.c.channel == channel.value)
    if subscription_type is not None:
        condition = and_(condition, subscriptions.c.type == subscription_type.value)
    return exists().where(condition)


def is_unsubscribed() -> ColumnElement[bool]:
    """The customer is unsubscribed from everything."""
    return exists().where(_of_the_customer(unsubscribes))


def wants_topic(topic_number: int, subscribed_by_default: bool) -> ColumnElement[bool]:
    """The customer's effective preference for a topic is "in" (and not unsubscribed)."""
    preference = and_(
        _of_the_customer(topic_preferences), topic_preferences.c.topic_number == topic_number
    )
    chose_in = exists().where(preference, topic_preferences.c.subscribed.is_(True))
    chose_at_all = exists().where(preference)
    wanted = or_(chose_in, not_(chose_at_all)) if subscribed_by_default else chose_in
    return and_(wanted, not_(is_unsubscribed()))
