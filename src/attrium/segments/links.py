"""Conditions on what a customer is linked to: subscriptions, topics, related objects.

`{"subscription": {"channel"?, "type"?, "status"?}}` holds when the customer has a
subscription in that status (default `subscribed`) of that channel and type (any, when
left out); `{"subscription": {"topic": "topic_3"}}` when the customer's effective
preference for the topic is in; `{"subscription": {"unsubscribed": true}}` when the
customer is unsubscribed from everything (false: is not).
`{"relationship": {"object_type_id": "1", "object_id"?: "acme"}}` holds when the
customer is related to an object of that type (that object, if given).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, not_

from attrium.objects import conditions as object_conditions
from attrium.subscriptions import conditions as subscription_conditions
from attrium.subscriptions.models import Channel, SubscriptionStatus, SubscriptionType

Fail = Callable[[str, str, str], None]


@dataclass(frozen=True, slots=True)
class SubscriptionCondition:
    channel: Channel | None
    type: SubscriptionType | None
    status: SubscriptionStatus


@dataclass(frozen=True, slots=True)
class TopicCondition:
    topic_number: int
    subscribed_by_default: bool


@dataclass(frozen=True, slots=True)
class UnsubscribedCondition:
    unsubscribed: bool


@dataclass(frozen=True, slots=True)
class RelationshipCondition:
    type_number: int
    object_id: str | None


LinkCondition = (
    SubscriptionCondition | TopicCondition | UnsubscribedCondition | RelationshipCondition
)


def link_sql(condition: LinkCondition) -> ColumnElement[bool]:
    """An EXISTS correlated with `customers` (never NULL)."""
    if isinstance(condition, SubscriptionCondition):
        return subscription_conditions.has_subscription(
            condition.channel, condition.type, condition.status
        )
    if isinstance(condition, TopicCondition):
        return subscription_conditions.wants_topic(
            condition.topic_number, condition.subscribed_by_default
        )
    if isinstance(condition, UnsubscribedCondition):
        unsubscribed = subscription_conditions.is_unsubscribed()
        return unsubscribed if condition.unsubscribed else not_(unsubscribed)
    return object_conditions.has_relationship(condition.type_number, condition.object_id)


def _choice(spec: dict[str, Any], key: str, allowed: type[Any], field: str, fail: Fail) -> Any:
    given = spec.get(key)
    values = [member.value for member in allowed]
    if given is None or given in values:
        return None if given is None else allowed(given)
    fail(f"{field}.{key}", f"{key}.unknown", f"{key} is one of {', '.join(values)}")
    return _INVALID


def parse_subscription(
    spec: Any, field: str, topics: Mapping[str, bool], fail: Fail
) -> LinkCondition | None:
    if not isinstance(spec, dict) or not spec:
        fail(field, "predicate.type", 'subscription takes an object such as {"channel": "EMAIL"}')
        return None
    for key in spec:
        if key not in ("channel", "type", "status", "topic", "unsubscribed"):
            fail(f"{field}.{key}", "predicate.unknown_field", f"unknown field {key!r}")
            return None
    if "topic" in spec or "unsubscribed" in spec:
        if len(spec) != 1:
            message = "topic and unsubscribed stand alone in a subscription condition"
            fail(field, "predicate.shape", message)
            return None
        if "unsubscribed" in spec:
            return _unsubscribed(spec["unsubscribed"], f"{field}.unsubscribed", fail)
        return _topic(spec["topic"], f"{field}.topic", topics, fail)
    channel = _choice(spec, "channel", Channel, field, fail)
    subscription_type = _choice(spec, "type", SubscriptionType, field, fail)
    status = _choice(spec, "status", SubscriptionStatus, field, fail)
    if _INVALID in (channel, subscription_type, status):
        return None
    return SubscriptionCondition(
        channel, subscription_type, status or SubscriptionStatus.SUBSCRIBED
    )


def _unsubscribed(given: Any, field: str, fail: Fail) -> LinkCondition | None:
    if not isinstance(given, bool):
        fail(field, "value.type", "unsubscribed is true or false")
        return None
    return UnsubscribedCondition(given)


def _topic(given: Any, field: str, topics: Mapping[str, bool], fail: Fail) -> LinkCondition | None:
    if not isinstance(given, str) or given not in topics:
        fail(field, "topic.unknown", f"the workspace has no topic {given!r}")
        return None
    return TopicCondition(int(given.removeprefix("topic_")), topics[given])


def parse_relationship(
    spec: Any, field: str, object_types: frozenset[str], fail: Fail
) -> LinkCondition | None:
    if not isinstance(spec, dict) or "object_type_id" not in spec:
        fail(field, "predicate.type", 'relationship takes {"object_type_id", "object_id"?}')
        return None
    for key in spec:
        if key not in ("object_type_id", "object_id"):
            fail(f"{field}.{key}", "predicate.unknown_field", f"unknown field {key!r}")
            return None
    type_id, object_id = spec["object_type_id"], spec.get("object_id")
    if not isinstance(type_id, str) or type_id not in object_types:
        fail(f"{field}.object_type_id", "object_type.unknown", f"no object type {type_id!r}")
        return None
    if object_id is not None and (not isinstance(object_id, str) or not object_id):
        fail(f"{field}.object_id", "value.type", "object_id is a non-empty string")
        return None
    return RelationshipCondition(int(type_id), object_id)


_INVALID: Any = object()
