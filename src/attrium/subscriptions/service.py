"""A customer's subscriptions, global unsubscribe and topic preferences.

- An opt-in names a sign-up source, or gives a locale that, with its channel and
  type, matches exactly one sign-up source made by API; none or several refuse the
  whole request and say how many matched. An opt-in without a channel (or type)
  takes the source's; by locale, it then matches sources of any channel.
- TEXT needs the customer to have a phone (E.164), EMAIL an email.
- Opting in again to a subscription that is subscribed records the attempt and
  changes nothing else; opting out of one that is unsubscribed changes nothing.
- Topic preferences change one topic at a time; the others stay as they are.
"""

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity import service as activity
from attrium.activity.service import ActivityEntry, ActivityType
from attrium.auth.actor import Actor
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.errors import AttriumError, FieldError, NotFound, ValidationFailed
from attrium.core.numbered import parse_number
from attrium.customers import service as customers
from attrium.customers import store as customer_store
from attrium.customers.identity import CustomerRef
from attrium.customers.models import Customer
from attrium.subscriptions import configuration, store
from attrium.subscriptions.models import (
    Channel,
    SignupSource,
    Subscription,
    SubscriptionOutcome,
    SubscriptionRequest,
    SubscriptionState,
    SubscriptionStatus,
    SubscriptionType,
    SubscriptionUpdate,
    Topic,
)


@dataclass(frozen=True, slots=True)
class _Plan:
    request: SubscriptionRequest
    channel: Channel  # the request's, else its sign-up source's
    type: SubscriptionType
    source: SignupSource | None
    locale: str | None


async def get_state(db: Database, actor: Actor, ref: CustomerRef) -> SubscriptionState:
    async with db.reader() as connection:
        profile_id = await _resolve(connection, actor, ref)
        return await state_of(connection, actor, profile_id)


async def _resolve(connection: AsyncConnection, actor: Actor, ref: CustomerRef) -> str:
    profile_id = await customer_store.owner_of(connection, actor.workspace_id, ref)
    if profile_id is None:
        raise NotFound(f"no customer {ref}")
    return profile_id


async def state_of(connection: AsyncConnection, actor: Actor, profile_id: str) -> SubscriptionState:
    workspace_id = actor.workspace_id
    rows = await store.rows(connection, store.subscriptions, workspace_id, profile_id=profile_id)
    unsubscribed = bool(
        await store.rows(connection, store.unsubscribes, workspace_id, profile_id=profile_id)
    )
    preferences = await store.rows(
        connection, store.topic_preferences, workspace_id, profile_id=profile_id
    )
    explicit = {f"topic_{row['topic_number']}": row["subscribed"] for row in preferences}
    topics = await configuration.topics_of(connection, actor)
    return SubscriptionState(
        profile_id=profile_id,
        unsubscribed=unsubscribed,
        subscriptions=[Subscription.from_row(row) for row in rows],
        topics=explicit,
        effective_topics={
            topic.topic_id: not unsubscribed
            and explicit.get(topic.topic_id, topic.subscribed_by_default)
            for topic in topics
        },
    )


async def update(
    db: Database, actor: Actor, ref: CustomerRef, changes: SubscriptionUpdate
) -> SubscriptionState:
    """Apply `changes` to an existing customer, all or nothing."""
    try:
        async with db.transaction() as connection:
            profile_id = await _resolve(connection, actor, ref)
            await customer_store.read(connection, actor.workspace_id, profile_id, lock=True)
            customer = await customers.read_customer(connection, actor, profile_id)
            return await apply(connection, actor, customer, changes)
    except AttriumError as error:
        async with db.reader() as connection:
            owner = await customer_store.owner_of(connection, actor.workspace_id, ref)
        await activity.record_rejection(db, actor, error, str(ref), profile_id=owner)
        raise


async def apply(
    connection: AsyncConnection, actor: Actor, customer: Customer, changes: SubscriptionUpdate
) -> SubscriptionState:
    """Apply `changes` inside the caller's transaction (the customer's row locked)."""
    plans = await _plan_all(connection, actor, customer, changes.subscriptions)
    topic_numbers = _check_topics(changes.topics, await configuration.topics_of(connection, actor))
    now = utcnow()
    entries, outcomes = await _apply_subscriptions(connection, actor, customer.profile_id, plans)
    if changes.unsubscribed is not None:
        entries.extend(
            await _apply_unsubscribed(connection, actor, customer.profile_id, changes.unsubscribed)
        )
    state = await state_of(connection, actor, customer.profile_id)
    for topic_id, subscribed in changes.topics.items():
        old = state.topics.get(topic_id)
        if old == subscribed:
            continue
        await store.set_topic_preference(
            connection,
            actor.workspace_id,
            customer.profile_id,
            topic_numbers[topic_id],
            subscribed,
            now,
        )
        entries.append(
            ActivityEntry(
                ActivityType.TOPIC_PREFERENCE_CHANGED,
                profile_id=customer.profile_id,
                old_value=old,
                new_value=subscribed,
                details={"topic_id": topic_id},
            )
        )
    await activity.record(connection, actor, entries)
    final = await state_of(connection, actor, customer.profile_id)
    return replace(final, outcomes=tuple(outcomes))


def _check_topics(preferences: dict[str, bool | None], topics: list[Topic]) -> dict[str, int]:
    known = {topic.topic_id for topic in topics}
    numbers: dict[str, int] = {}
    errors: list[FieldError] = []
    for topic_id in preferences:
        field = f"topics.{topic_id}"
        try:
            numbers[topic_id] = configuration.topic_number(topic_id, field)
        except ValidationFailed as invalid:
            errors.extend(invalid.errors)
            continue
        if topic_id not in known:
            errors.append(FieldError(field, "topic.unknown", f"the workspace has no {topic_id}"))
    if errors:
        raise ValidationFailed(errors[0].message, errors)
    return numbers


async def _plan_all(
    connection: AsyncConnection,
    actor: Actor,
    customer: Customer,
    requests: list[SubscriptionRequest],
) -> list[_Plan]:
    plans: list[_Plan] = []
    errors: list[FieldError] = []
    matches: dict[str, int] = {}
    seen: set[tuple[Channel, SubscriptionType]] = set()
    for index, request in enumerate(requests):
        field = f"subscriptions.{index}"
        try:
            plan = await _plan(connection, actor, customer, request, field, matches)
        except ValidationFailed as invalid:
            errors.extend(invalid.errors)
            continue
        if (plan.channel, plan.type) in seen:
            message = f"{plan.channel} {plan.type} appears twice in one request"
            errors.append(FieldError(field, "subscription.duplicate", message))
            continue
        seen.add((plan.channel, plan.type))
        plans.append(plan)
    if errors:
        detail = errors[0].message if len(errors) == 1 else f"{len(errors)} rules were broken"
        extra = {"matched_signup_sources": matches} if matches else None
        raise ValidationFailed(detail, errors, extra=extra)
    return plans


async def _plan(
    connection: AsyncConnection,
    actor: Actor,
    customer: Customer,
    request: SubscriptionRequest,
    field: str,
    matches: dict[str, int],
) -> _Plan:
    locale = (
        None
        if request.locale is None
        else configuration.normalise_locale(request.locale, f"{field}.locale")
    )
    if request.channel is not None:
        _check_identifier(customer, request.channel, field)
    source = None
    if request.signup_source_id is not None:
        source = await _named_source(connection, actor, request, f"{field}.signup_source_id")
    elif request.status is SubscriptionStatus.SUBSCRIBED:
        source = await _resolved_source(connection, actor, request, locale, field, matches)
    channel = request.channel or (source.channel if source else None)
    subscription_type = request.type or (source.type if source else None)
    if channel is None or subscription_type is None:
        missing = "channel" if channel is None else "type"
        message = f"an opt-out names its {missing}"
        raise ValidationFailed(message, [FieldError(f"{field}.{missing}", "required", message)])
    if request.channel is None:
        _check_identifier(customer, channel, field)
    return _Plan(
        request, channel, subscription_type, source, locale or (source.locale if source else None)
    )


def _check_identifier(customer: Customer, channel: Channel, field: str) -> None:
    if channel is Channel.TEXT and customer.phone is None:
        message = "TEXT subscriptions need the customer to have an E.164 phone"
        raise ValidationFailed(message, [FieldError(f"{field}.channel", "phone.required", message)])
    if channel is Channel.EMAIL and customer.email is None:
        message = "EMAIL subscriptions need the customer to have an email"
        raise ValidationFailed(message, [FieldError(f"{field}.channel", "email.required", message)])


async def _named_source(
    connection: AsyncConnection, actor: Actor, request: SubscriptionRequest, field: str
) -> SignupSource:
    number = parse_number(request.signup_source_id or "", field, "sign-up source")
    source = await configuration.find_signup_source(connection, actor, number)
    if source is None:
        message = f"no sign-up source {request.signup_source_id}"
        raise ValidationFailed(message, [FieldError(field, "signup_source.unknown", message)])
    for rule, wanted, actual in (
        ("channel", request.channel, source.channel),
        ("type", request.type, source.type),
    ):
        if wanted is not None and wanted != actual:
            message = f"sign-up source {source.source_id} is for {rule} {actual}, not {wanted}"
            raise ValidationFailed(message, [FieldError(field, f"signup_source.{rule}", message)])
    return source


async def _resolved_source(
    connection: AsyncConnection,
    actor: Actor,
    request: SubscriptionRequest,
    locale: str | None,
    field: str,
    matches: dict[str, int],
) -> SignupSource:
    if locale is None:
        message = (
            "an opt-in needs a sign-up source id, or a locale that with the channel and type "
            "matches exactly one API sign-up source"
        )
        error = FieldError(f"{field}.signup_source_id", "signup_source.required", message)
        raise ValidationFailed(message, [error])
    if request.type is None:
        message = "an opt-in by locale names its type"
        raise ValidationFailed(message, [FieldError(f"{field}.type", "required", message)])
    found = await configuration.resolve_signup_sources(
        connection, actor, request.channel, request.type, locale
    )
    if len(found) == 1:
        return found[0]
    matches[field] = len(found)
    message = (
        f"{len(found)} API sign-up sources match channel {request.channel or 'any'}, type "
        f"{request.type} and locale {locale}; exactly one must, or give a sign-up source id"
    )
    raise ValidationFailed(
        message, [FieldError(f"{field}.locale", "signup_source.resolution", message)]
    )


async def _apply_subscriptions(
    connection: AsyncConnection, actor: Actor, profile_id: str, plans: list[_Plan]
) -> tuple[list[ActivityEntry], list[SubscriptionOutcome]]:
    current = {
        (row["channel"], row["type"]): row
        for row in await store.rows(
            connection, store.subscriptions, actor.workspace_id, profile_id=profile_id
        )
    }
    now = utcnow()
    entries: list[ActivityEntry] = []
    outcomes: list[SubscriptionOutcome] = []
    for plan in plans:
        request = plan.request
        existing = current.get((plan.channel.value, plan.type.value))
        details = _details(plan, existing)
        old_status = existing["status"] if existing else None
        repeated = old_status == request.status.value
        outcomes.append(SubscriptionOutcome(plan.channel, plan.type, request.status, repeated))
        if repeated:
            if request.status is SubscriptionStatus.SUBSCRIBED:
                entries.append(
                    ActivityEntry(
                        ActivityType.SUBSCRIPTION_REPEATED, profile_id=profile_id, details=details
                    )
                )
            continue
        row = _row(actor, profile_id, plan, existing, now)
        await store.put_subscription(connection, row)
        entries.append(
            ActivityEntry(
                ActivityType.SUBSCRIPTION_CHANGED,
                profile_id=profile_id,
                old_value=old_status,
                new_value=request.status.value,
                details=details,
            )
        )
    return entries, outcomes


def _details(plan: _Plan, existing: dict[str, Any] | None) -> dict[str, Any]:
    source_number = _source_number(plan, existing)
    return {
        "channel": plan.channel.value,
        "type": plan.type.value,
        "signup_source_id": None if source_number is None else str(source_number),
        "locale": plan.locale,
    }


def _source_number(plan: _Plan, existing: dict[str, Any] | None) -> int | None:
    if plan.source is not None:
        return int(plan.source.source_id)
    return existing["source_number"] if existing else None


def _row(
    actor: Actor,
    profile_id: str,
    plan: _Plan,
    existing: dict[str, Any] | None,
    now: Any,
) -> dict[str, Any]:
    request = plan.request
    subscribing = request.status is SubscriptionStatus.SUBSCRIBED
    previous = existing or {}
    single_opt_in = request.single_opt_in if subscribing else bool(previous.get("single_opt_in"))
    return {
        "workspace_id": actor.workspace_id,
        "profile_id": profile_id,
        "channel": plan.channel.value,
        "type": plan.type.value,
        "status": request.status.value,
        "source_number": _source_number(plan, existing),
        "locale": plan.locale or previous.get("locale"),
        "single_opt_in": single_opt_in,
        "opted_in_at": now if subscribing else previous.get("opted_in_at"),
        "opted_out_at": previous.get("opted_out_at") if subscribing else now,
        "updated_at": now,
    }


async def _apply_unsubscribed(
    connection: AsyncConnection, actor: Actor, profile_id: str, unsubscribed: bool
) -> list[ActivityEntry]:
    current = bool(
        await store.rows(connection, store.unsubscribes, actor.workspace_id, profile_id=profile_id)
    )
    if current == unsubscribed:
        return []
    await store.set_unsubscribed(
        connection, actor.workspace_id, profile_id, utcnow() if unsubscribed else None
    )
    return [
        ActivityEntry(
            ActivityType.UNSUBSCRIBED_CHANGED,
            profile_id=profile_id,
            old_value=current,
            new_value=unsubscribed,
        )
    ]
