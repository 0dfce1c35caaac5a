"""Sign-up sources, topics and a customer's subscriptions."""

from collections.abc import Mapping, Sequence
from typing import Any

from attrium.client.calls import items, model, nothing
from attrium.client.declare import Request, endpoint, given
from attrium.client.models import SignupSource, Subscriptions, Topic


@endpoint("GET", "/v1/signup-sources")
def list_signup_sources() -> Request[list[SignupSource]]:
    return Request(items(SignupSource))


@endpoint("POST", "/v1/signup-sources")
def create_signup_source(
    name: str, channel: str, type: str, *, locale: str | None = None
) -> Request[SignupSource]:
    """`channel`: EMAIL, TEXT or PUSH; `type`: MARKETING or TRANSACTIONAL."""
    body = given(name=name, channel=channel, type=type, locale=locale)
    return Request(model(SignupSource), json=body)


@endpoint("GET", "/v1/signup-sources/{source_id}")
def get_signup_source(source_id: str) -> Request[SignupSource]:
    return Request(model(SignupSource))


@endpoint("DELETE", "/v1/signup-sources/{source_id}")
def delete_signup_source(source_id: str) -> Request[None]:
    return Request(nothing)


@endpoint("GET", "/v1/topics")
def list_topics() -> Request[list[Topic]]:
    return Request(items(Topic))


@endpoint("POST", "/v1/topics")
def create_topic(
    name: str, *, description: str | None = None, subscribed_by_default: bool = False
) -> Request[Topic]:
    """A topic (`topic_<n>`); `subscribed_by_default=True` makes it opt-out."""
    body = given(name=name, description=description)
    return Request(model(Topic), json={**body, "subscribed_by_default": subscribed_by_default})


@endpoint("GET", "/v1/topics/{topic_id}")
def get_topic(topic_id: str) -> Request[Topic]:
    return Request(model(Topic))


@endpoint("DELETE", "/v1/topics/{topic_id}")
def delete_topic(topic_id: str) -> Request[None]:
    """Remove a topic and every customer's preference for it."""
    return Request(nothing)


@endpoint("GET", "/v1/customers/{ref}/subscriptions")
def get_subscriptions(ref: str) -> Request[Subscriptions]:
    """The customer's channel subscriptions, global unsubscribe and topic preferences."""
    return Request(model(Subscriptions))


@endpoint("PUT", "/v1/customers/{ref}/subscriptions")
def put_subscriptions(
    ref: str,
    *,
    subscriptions: Sequence[Mapping[str, Any]] = (),
    unsubscribed: bool | None = None,
    topics: Mapping[str, bool | None] | None = None,
) -> Request[Subscriptions]:
    """Opt in or out (`{"channel", "type", "status", …}` each), set the global unsubscribe,
    change topic preferences (None returns one to its default): all or nothing."""
    body: dict[str, Any] = {"subscriptions": [dict(item) for item in subscriptions]}
    if unsubscribed is not None:
        body["unsubscribed"] = unsubscribed
    if topics is not None:
        body["topics"] = dict(topics)
    return Request(model(Subscriptions), json=body)
