"""Native subscription routes: sign-up sources, topics, a customer's subscriptions."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from attrium.auth.actor import Actor
from attrium.auth.api import requires
from attrium.auth.scopes import Scope
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.http import JsonRoute
from attrium.core.jsonio import JsonResponse
from attrium.core.schemas import PROBLEM_RESPONSES
from attrium.customers.identity import parse_ref
from attrium.subscriptions import configuration, service
from attrium.subscriptions.schemas import (
    SignupSourceIn,
    SignupSourceList,
    SignupSourceOut,
    SubscriptionsIn,
    SubscriptionsOut,
    TopicIn,
    TopicList,
    TopicOut,
    signup_source_body,
    subscriptions_body,
    topic_body,
)

Reader = Annotated[Actor, Depends(requires(Scope.ATTRIBUTES_READ))]
SubscriptionWriter = Annotated[Actor, Depends(requires(Scope.SUBSCRIPTIONS_WRITE))]
WorkspaceAdmin = Annotated[Actor, Depends(requires(Scope.WORKSPACE_ADMIN))]


def _router(prefix: str, tag: str) -> APIRouter:
    return APIRouter(prefix=prefix, tags=[tag], route_class=JsonRoute, responses=PROBLEM_RESPONSES)


sources_router = _router("/v1/signup-sources", "subscriptions")
topics_router = _router("/v1/topics", "subscriptions")
customer_router = _router("/v1/customers", "subscriptions")
routers = (sources_router, topics_router, customer_router)


@sources_router.get("", response_model=SignupSourceList)
async def list_signup_sources(db: DatabaseDep, actor: Reader) -> Response:
    sources = await configuration.list_signup_sources(db, actor)
    return JsonResponse({"items": [signup_source_body(source) for source in sources]})


@sources_router.post("", status_code=201, response_model=SignupSourceOut)
async def create_signup_source(
    body: SignupSourceIn, db: DatabaseDep, actor: WorkspaceAdmin
) -> Response:
    """A sign-up source: ids are string-formatted integers from "1"."""
    source = await configuration.create_signup_source(
        db, actor, body.name, body.channel, body.type, body.locale
    )
    return JsonResponse(signup_source_body(source), status_code=201)


@sources_router.get("/{source_id}", response_model=SignupSourceOut)
async def get_signup_source(source_id: str, db: DatabaseDep, actor: Reader) -> Response:
    return JsonResponse(
        signup_source_body(await configuration.get_signup_source(db, actor, source_id))
    )


@sources_router.delete("/{source_id}", status_code=204)
async def delete_signup_source(source_id: str, db: DatabaseDep, actor: WorkspaceAdmin) -> Response:
    await configuration.delete_signup_source(db, actor, source_id)
    return Response(status_code=204)


@topics_router.get("", response_model=TopicList)
async def list_topics(db: DatabaseDep, actor: Reader) -> Response:
    topics = await configuration.list_topics(db, actor)
    return JsonResponse({"items": [topic_body(topic) for topic in topics]})


@topics_router.post("", status_code=201, response_model=TopicOut)
async def create_topic(body: TopicIn, db: DatabaseDep, actor: WorkspaceAdmin) -> Response:
    """A topic, `topic_<n>`; `subscribed_by_default` makes it opt-out."""
    topic = await configuration.create_topic(
        db, actor, body.name, body.description, body.subscribed_by_default
    )
    return JsonResponse(topic_body(topic), status_code=201)


@topics_router.get("/{topic_id}", response_model=TopicOut)
async def get_topic(topic_id: str, db: DatabaseDep, actor: Reader) -> Response:
    return JsonResponse(topic_body(await configuration.get_topic(db, actor, topic_id)))


@topics_router.delete("/{topic_id}", status_code=204)
async def delete_topic(topic_id: str, db: DatabaseDep, actor: WorkspaceAdmin) -> Response:
    """Remove a topic and every customer's preference for it."""
    await configuration.delete_topic(db, actor, topic_id)
    return Response(status_code=204)


@customer_router.get("/{customer_id}/subscriptions", response_model=SubscriptionsOut)
async def get_subscriptions(
    customer_id: str, db: DatabaseDep, settings: SettingsDep, actor: Reader
) -> Response:
    ref = parse_ref(customer_id, settings.max_identifier_bytes)
    return JsonResponse(subscriptions_body(await service.get_state(db, actor, ref)))


@customer_router.put("/{customer_id}/subscriptions", response_model=SubscriptionsOut)
async def put_subscriptions(
    customer_id: str,
    body: SubscriptionsIn,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: SubscriptionWriter,
) -> Response:
    """Opt in or out, set the global unsubscribe, change topic preferences: all or nothing."""
    ref = parse_ref(customer_id, settings.max_identifier_bytes)
    state = await service.update(db, actor, ref, body.to_update())
    return JsonResponse(subscriptions_body(state))
