"""Wire models for sign-up sources, topics and a customer's subscriptions."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from attrium.core.schemas import InputModel
from attrium.subscriptions.models import (
    Channel,
    SignupSource,
    SubscriptionRequest,
    SubscriptionState,
    SubscriptionStatus,
    SubscriptionType,
    SubscriptionUpdate,
    Topic,
)

ChannelField = Annotated[Channel, Field(strict=False, description="EMAIL, TEXT or PUSH")]
TypeField = Annotated[
    SubscriptionType, Field(strict=False, description="MARKETING or TRANSACTIONAL")
]
StatusField = Annotated[
    SubscriptionStatus, Field(strict=False, description="subscribed or unsubscribed")
]


class SignupSourceIn(InputModel):
    name: str
    channel: ChannelField
    type: TypeField
    locale: str | None = Field(default=None, description="a language tag such as en-US")


class SignupSourceOut(BaseModel):
    id: str
    name: str
    channel: Channel
    type: SubscriptionType
    locale: str | None
    created_via: str
    created_at: datetime


class SignupSourceList(BaseModel):
    items: list[SignupSourceOut]


def signup_source_body(source: SignupSource) -> dict[str, Any]:
    return {
        "id": source.source_id,
        "name": source.name,
        "channel": source.channel,
        "type": source.type,
        "locale": source.locale,
        "created_via": source.created_via,
        "created_at": source.created_at,
    }


class TopicIn(InputModel):
    name: str
    description: str | None = Field(default=None, max_length=2000)
    subscribed_by_default: bool = Field(
        default=False, description="true for an opt-out topic: everyone is in until they leave"
    )


class TopicOut(BaseModel):
    id: str
    name: str
    description: str | None
    subscribed_by_default: bool
    created_at: datetime


class TopicList(BaseModel):
    items: list[TopicOut]


def topic_body(topic: Topic) -> dict[str, Any]:
    return {
        "id": topic.topic_id,
        "name": topic.name,
        "description": topic.description,
        "subscribed_by_default": topic.subscribed_by_default,
        "created_at": topic.created_at,
    }


class SubscriptionIn(InputModel):
    channel: ChannelField
    type: TypeField
    status: StatusField = SubscriptionStatus.SUBSCRIBED
    signup_source_id: str | None = None
    locale: str | None = None
    single_opt_in: bool = False

    def to_request(self) -> SubscriptionRequest:
        return SubscriptionRequest(
            channel=self.channel,
            type=self.type,
            status=self.status,
            signup_source_id=self.signup_source_id,
            locale=self.locale,
            single_opt_in=self.single_opt_in,
        )


class SubscriptionsIn(InputModel):
    subscriptions: list[SubscriptionIn] = Field(default_factory=list)
    unsubscribed: bool | None = Field(default=None, description="unsubscribed from everything")
    topics: dict[str, bool | None] = Field(
        default_factory=dict,
        description="topic_<n> to true or false; null returns it to the topic's default; "
        "topics left out keep their preference",
    )

    def to_update(self) -> SubscriptionUpdate:
        return SubscriptionUpdate(
            subscriptions=[item.to_request() for item in self.subscriptions],
            unsubscribed=self.unsubscribed,
            topics=dict(self.topics),
        )


class SubscriptionOut(BaseModel):
    channel: Channel
    type: SubscriptionType
    status: SubscriptionStatus
    signup_source_id: str | None
    locale: str | None
    single_opt_in: bool
    opted_in_at: datetime | None
    opted_out_at: datetime | None


class SubscriptionsOut(BaseModel):
    profile_id: str
    unsubscribed: bool
    subscriptions: list[SubscriptionOut]
    topics: dict[str, bool]
    effective_topics: dict[str, bool]


def subscriptions_body(state: SubscriptionState) -> dict[str, Any]:
    return {
        "profile_id": state.profile_id,
        "unsubscribed": state.unsubscribed,
        "subscriptions": [
            {
                "channel": item.channel,
                "type": item.type,
                "status": item.status,
                "signup_source_id": item.signup_source_id,
                "locale": item.locale,
                "single_opt_in": item.single_opt_in,
                "opted_in_at": item.opted_in_at,
                "opted_out_at": item.opted_out_at,
            }
            for item in state.subscriptions
        ],
        "topics": state.topics,
        "effective_topics": state.effective_topics,
    }
