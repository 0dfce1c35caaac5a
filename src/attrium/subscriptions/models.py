"""Subscriptions as the services see them: sign-up sources, topics, a customer's state."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Channel(StrEnum):
    EMAIL = "EMAIL"
    TEXT = "TEXT"
    PUSH = "PUSH"


class SubscriptionType(StrEnum):
    MARKETING = "MARKETING"
    TRANSACTIONAL = "TRANSACTIONAL"


class SubscriptionStatus(StrEnum):
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"


TOPIC_PREFIX = "topic_"


@dataclass(frozen=True, slots=True)
class SignupSource:
    source_id: str  # a string-formatted integer, from "1"
    name: str
    channel: Channel
    type: SubscriptionType
    locale: str | None
    created_via: str  # "api" or "ui": only API sources resolve from locale and type
    created_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "SignupSource":
        return cls(
            source_id=str(row["source_number"]),
            name=row["name"],
            channel=Channel(row["channel"]),
            type=SubscriptionType(row["type"]),
            locale=row["locale"],
            created_via=row["created_via"],
            created_at=row["created_at"],
        )


@dataclass(frozen=True, slots=True)
class Topic:
    topic_id: str  # topic_<n>
    name: str
    description: str | None
    subscribed_by_default: bool
    created_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Topic":
        return cls(
            topic_id=f"{TOPIC_PREFIX}{row['topic_number']}",
            name=row["name"],
            description=row["description"],
            subscribed_by_default=row["subscribed_by_default"],
            created_at=row["created_at"],
        )


@dataclass(frozen=True, slots=True)
class Subscription:
    channel: Channel
    type: SubscriptionType
    status: SubscriptionStatus
    signup_source_id: str | None
    locale: str | None
    single_opt_in: bool
    opted_in_at: datetime | None
    opted_out_at: datetime | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Subscription":
        source = row["source_number"]
        return cls(
            channel=Channel(row["channel"]),
            type=SubscriptionType(row["type"]),
            status=SubscriptionStatus(row["status"]),
            signup_source_id=None if source is None else str(source),
            locale=row["locale"],
            single_opt_in=row["single_opt_in"],
            opted_in_at=row["opted_in_at"],
            opted_out_at=row["opted_out_at"],
        )


@dataclass(frozen=True, slots=True)
class SubscriptionRequest:
    """One opt-in or opt-out; an opt-in needs a source id, or a locale that resolves one.

    An opt-in may leave out its channel or its type: it takes those of the sign-up
    source it names or resolves to (Attentive's Subscribers API names no channel).
    """

    channel: Channel | None
    type: SubscriptionType | None
    status: SubscriptionStatus = SubscriptionStatus.SUBSCRIBED
    signup_source_id: str | None = None
    locale: str | None = None
    single_opt_in: bool = False


@dataclass(frozen=True, slots=True)
class SubscriptionUpdate:
    """What one request changes; what it leaves out stays as it is.

    `topics` maps `topic_<n>` to a preference; None returns the topic to its default.
    """

    subscriptions: list[SubscriptionRequest] = field(default_factory=list)
    unsubscribed: bool | None = None
    topics: dict[str, bool | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SubscriptionOutcome:
    """What one requested subscription did: `repeated` when it already had that status."""

    channel: Channel
    type: SubscriptionType
    status: SubscriptionStatus
    repeated: bool


@dataclass(frozen=True, slots=True)
class SubscriptionState:
    """A customer's whole subscription picture."""

    profile_id: str
    unsubscribed: bool
    subscriptions: list[Subscription]
    topics: dict[str, bool]  # explicit preferences only
    # every topic: the preference, else the topic's default; all False when unsubscribed
    effective_topics: dict[str, bool]
    # the request's subscriptions, in its order (empty when the state was only read)
    outcomes: tuple[SubscriptionOutcome, ...] = ()
