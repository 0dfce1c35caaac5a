"""Workspace configuration for subscriptions: sign-up sources and topics."""

import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity import service as activity
from attrium.auth.actor import Actor
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.errors import FieldError, NotFound, ValidationFailed
from attrium.core.numbered import parse_number
from attrium.subscriptions import store
from attrium.subscriptions.models import (
    TOPIC_PREFIX,
    Channel,
    SignupSource,
    SubscriptionType,
    Topic,
)
from attrium.workspaces import store as workspace_store

_LOCALE = re.compile(r"([A-Za-z]{2,3})(?:[-_]([A-Za-z0-9]{2,8}))*")
MAX_NAME_CHARS = 200
UI_SOURCE = "ui"


def normalise_locale(locale: str, field: str) -> str:
    """`en_us` and `EN-US` as `en-US`: language lower-case, a two-letter region upper-case."""
    if not _LOCALE.fullmatch(locale):
        message = "a locale is a language tag such as en-US"
        raise ValidationFailed(message, [FieldError(field, "locale.format", message)])
    language, *rest = re.split(r"[-_]", locale)
    parts = [language.lower()] + [part.upper() if len(part) == 2 else part for part in rest]
    return "-".join(parts)


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS:
        message = f"a name is 1 to {MAX_NAME_CHARS} characters"
        raise ValidationFailed(message, [FieldError("name", "name.length", message)])
    return name


async def _audit(
    connection: AsyncConnection, actor: Actor, activity_type: str, details: dict[str, Any]
) -> None:
    await activity.record_admin_action(
        connection, actor.workspace_id, activity_type, actor, details
    )


async def create_signup_source(
    db: Database,
    actor: Actor,
    name: str,
    channel: Channel,
    subscription_type: SubscriptionType,
    locale: str | None = None,
) -> SignupSource:
    """A new sign-up source; made by the UI when the actor's source is `ui`, else by API."""
    row: dict[str, Any] = {
        "workspace_id": actor.workspace_id,
        "name": _check_name(name),
        "channel": channel.value,
        "type": subscription_type.value,
        "locale": None if locale is None else normalise_locale(locale, "locale"),
        "created_via": UI_SOURCE if actor.source == UI_SOURCE else "api",
        "created_at": utcnow(),
    }
    async with db.transaction() as connection:
        await workspace_store.lock(connection, actor.workspace_id)
        number_column = store.signup_sources.c.source_number
        row["source_number"] = await store.next_number(
            connection, number_column, actor.workspace_id
        )
        await store.insert(connection, store.signup_sources, row)
        source = SignupSource.from_row(row)
        await _audit(connection, actor, "signup_source_created", _source_details(source))
    return source


def _source_details(source: SignupSource) -> dict[str, Any]:
    return {
        "signup_source_id": source.source_id,
        "name": source.name,
        "channel": source.channel.value,
        "type": source.type.value,
        "locale": source.locale,
        "created_via": source.created_via,
    }


async def list_signup_sources(db: Database, actor: Actor) -> list[SignupSource]:
    async with db.reader() as connection:
        found = await store.rows(connection, store.signup_sources, actor.workspace_id)
    return [SignupSource.from_row(row) for row in found]


async def find_signup_source(
    connection: AsyncConnection, actor: Actor, source_number: int
) -> SignupSource | None:
    found = await store.rows(
        connection, store.signup_sources, actor.workspace_id, source_number=source_number
    )
    return SignupSource.from_row(found[0]) if found else None


async def get_signup_source(db: Database, actor: Actor, source_id: str) -> SignupSource:
    number = parse_number(source_id, "signup_source_id", "sign-up source")
    async with db.reader() as connection:
        source = await find_signup_source(connection, actor, number)
    if source is None:
        raise NotFound(f"no sign-up source {source_id}")
    return source


async def delete_signup_source(db: Database, actor: Actor, source_id: str) -> None:
    """Remove a source; subscriptions made through it keep its id as history."""
    number = parse_number(source_id, "signup_source_id", "sign-up source")
    async with db.transaction() as connection:
        source = await find_signup_source(connection, actor, number)
        if source is None:
            raise NotFound(f"no sign-up source {source_id}")
        await store.delete_rows(
            connection, store.signup_sources, actor.workspace_id, source_number=number
        )
        await _audit(connection, actor, "signup_source_deleted", _source_details(source))


async def resolve_signup_sources(
    connection: AsyncConnection,
    actor: Actor,
    channel: Channel | None,
    subscription_type: SubscriptionType,
    locale: str,
) -> list[SignupSource]:
    """The API sign-up sources matching a channel (None: any), a type and a locale."""
    filters = {"channel": channel.value} if channel is not None else {}
    found = await store.rows(
        connection,
        store.signup_sources,
        actor.workspace_id,
        type=subscription_type.value,
        locale=locale,
        created_via="api",
        **filters,
    )
    return [SignupSource.from_row(row) for row in found]


async def create_topic(
    db: Database,
    actor: Actor,
    name: str,
    description: str | None = None,
    subscribed_by_default: bool = False,
) -> Topic:
    """A new topic, `topic_<n>`; `subscribed_by_default` makes it an opt-out topic."""
    row: dict[str, Any] = {
        "workspace_id": actor.workspace_id,
        "name": _check_name(name),
        "description": description,
        "subscribed_by_default": subscribed_by_default,
        "created_at": utcnow(),
    }
    async with db.transaction() as connection:
        await workspace_store.lock(connection, actor.workspace_id)
        number_column = store.topics.c.topic_number
        row["topic_number"] = await store.next_number(connection, number_column, actor.workspace_id)
        await store.insert(connection, store.topics, row)
        topic = Topic.from_row(row)
        await _audit(connection, actor, "topic_created", {"topic_id": topic.topic_id, "name": name})
    return topic


async def list_topics(db: Database, actor: Actor) -> list[Topic]:
    async with db.reader() as connection:
        return await topics_of(connection, actor)


async def topics_of(connection: AsyncConnection, actor: Actor) -> list[Topic]:
    return [
        Topic.from_row(row)
        for row in await store.rows(connection, store.topics, actor.workspace_id)
    ]


def topic_number(topic_id: str, field: str) -> int:
    return parse_number(topic_id, field, "topic", TOPIC_PREFIX)


async def get_topic(db: Database, actor: Actor, topic_id: str) -> Topic:
    number = topic_number(topic_id, "topic_id")
    async with db.reader() as connection:
        found = await store.rows(connection, store.topics, actor.workspace_id, topic_number=number)
    if not found:
        raise NotFound(f"no topic {topic_id}")
    return Topic.from_row(found[0])


async def delete_topic(db: Database, actor: Actor, topic_id: str) -> None:
    """Remove a topic and every customer's preference for it."""
    number = topic_number(topic_id, "topic_id")
    async with db.transaction() as connection:
        if not await store.delete_rows(
            connection, store.topics, actor.workspace_id, topic_number=number
        ):
            raise NotFound(f"no topic {topic_id}")
        await store.delete_rows(
            connection, store.topic_preferences, actor.workspace_id, topic_number=number
        )
        await _audit(connection, actor, "topic_deleted", {"topic_id": topic_id})
