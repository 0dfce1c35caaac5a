"""Attentive: custom attributes (v1), subscribers (v1) and user properties (v2), under
`/compat/attentive`.

Seeds 001 and 002, and Attentive's current public API reference. Request bodies are in
`attentive_schemas`, their translation onto the services in `attentive_users`.
"""

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from attrium.auth.actor import Actor
from attrium.auth.api import requires
from attrium.auth.scopes import Scope
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.errors import (
    AttriumError,
    FieldError,
    Forbidden,
    MalformedRequest,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
)
from attrium.core.jsonio import JsonResponse
from attrium.core.problems import retry_after_headers
from attrium.core.ratelimit import Limit
from attrium.customers import service
from attrium.customers.identity import CustomerRef, IdentifierKind, normalise
from attrium.dialects.attentive_schemas import (
    CustomAttributesIn,
    ExternalIdentifiers,
    SubscribeIn,
    Subscription,
    UserPropertiesIn,
)
from attrium.dialects.attentive_users import (
    Identified,
    Subscribing,
    attribute_patch,
    limits,
    occurred_at,
    upsert,
)
from attrium.dialects.common import (
    answer_unknown_routes,
    bearer_actor,
    dialect_route,
    first_message,
    vendor_status,
)
from attrium.dialects.mounts import DIALECT_PREFIXES
from attrium.subscriptions.models import (
    Channel,
    SubscriptionRequest,
    SubscriptionState,
    SubscriptionType,
    SubscriptionUpdate,
)

SOURCE = "attentive"
V2_MAX_ATTRIBUTES = 100  # seed 002: "a limit of 100 of custom attributes"
V1_MAX_ATTRIBUTES = None  # seed 001: "no limits to the amount of custom attributes"


# Error mapping (seed: 400, 401, 403, 404, 429, 500)
_STATUSES: list[tuple[type[AttriumError], int]] = [
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (RateLimited, 429),
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (MalformedRequest, 400),
    (ValidationFailed, 400),
]


def render_error(error: AttriumError) -> Response:
    status = vendor_status(error, _STATUSES)
    body: dict[str, Any] = {"status": status, "message": first_message(error)}
    if error.errors:
        body["errors"] = [field_error.as_dict() for field_error in error.errors]
    # A 429 also carries the bucket's x-ratelimit-limit / x-ratelimit-remaining,
    # which every rate-limited answer gets (core.middleware).
    headers = retry_after_headers(error)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="attentive"'
    return JsonResponse(body, status_code=status, headers=headers)


# Native subscription paths, and pydantic's, as Attentive names them: `subscriptions[0]`.
_SUBSCRIPTION = r"^subscriptions\.(\d+)"
ATTENTIVE_FIELDS = [
    (
        re.compile(_SUBSCRIPTION + r"\.signup_source_id(?=\.|$)"),
        r"subscriptions[\1].signUpSourceId",
    ),
    (re.compile(_SUBSCRIPTION + r"\.single_opt_in(?=\.|$)"), r"subscriptions[\1].singleOptIn"),
    (re.compile(_SUBSCRIPTION + r"\.type$"), r"subscriptions[\1].subscriptionType"),
    (re.compile(_SUBSCRIPTION + r"(?=\.|$)"), r"subscriptions[\1]"),
    (
        re.compile(
            r"^(identifiers|user\.externalIdentifiers|externalIdentifiers)"
            r"\.customIdentifiers\.(\d+)(?=\.|$)"
        ),
        r"\1.customIdentifiers[\2]",
    ),
]
# The Subscribers API's one opt-in, named as its body names it.
SUBSCRIBE_FIELDS = [
    (re.compile(r"^subscriptions\.0\.signup_source_id$"), "signUpSourceId"),
    (re.compile(r"^subscriptions\.0\.locale$"), "locale"),
    (re.compile(r"^subscriptions\.0\.type$"), "subscriptionType"),
    (re.compile(r"^subscriptions\.0\.channel$"), "user"),  # the channel's phone or email
    (re.compile(r"^subscriptions\.0$"), "signUpSourceId"),
]

router = APIRouter(
    prefix=DIALECT_PREFIXES["attentive"],
    tags=["dialect: attentive"],
    route_class=dialect_route(render_error, ATTENTIVE_FIELDS),
)
AttributesWriter = Annotated[
    Actor, Depends(bearer_actor(SOURCE, Scope.ATTRIBUTES_WRITE, Limit.ATTENTIVE))
]
SubscriptionsWriter = Annotated[
    Actor, Depends(bearer_actor(SOURCE, Scope.SUBSCRIPTIONS_WRITE, Limit.ATTENTIVE))
]


async def _attributes_reader(
    actor: Annotated[Actor, Depends(requires(None, Limit.ATTENTIVE))],
) -> Actor:
    """Attentive documents `attributes:write` for reading a user's attributes; the
    native read scope serves as well."""
    if not actor.scopes & {Scope.ATTRIBUTES_READ, Scope.ATTRIBUTES_WRITE}:
        raise Forbidden("this key lacks the 'attributes:read' or 'attributes:write' scope")
    return actor.with_source(SOURCE)


AttributesReader = Annotated[Actor, Depends(_attributes_reader)]


# Routes


@router.post("/v1/attributes/custom")
async def post_custom_attributes(
    body: CustomAttributesIn, db: DatabaseDep, settings: SettingsDep, actor: AttributesWriter
) -> Response:
    """Set custom attributes on a user (created if new); types fixed by first values."""
    user = body.user
    external = user.external_identifiers or ExternalIdentifiers()
    named = Identified(
        client_user_id=external.client_user_id,
        email=user.email,
        phone=user.phone,
        custom=external.custom(),
        field_prefix="user",
    )
    ref, write = named.write(body.properties, settings)
    write.timestamp = occurred_at(body.occurred_at)
    attribute_limits = limits(actor, settings, V1_MAX_ATTRIBUTES)
    await upsert(db, actor, settings, ref, write, attribute_limits, "properties")
    return JsonResponse({})


@router.get("/v1/attributes/custom")
async def get_custom_attributes(
    db: DatabaseDep,
    settings: SettingsDep,
    actor: AttributesReader,
    email: str | None = None,
    phone: str | None = None,
) -> Response:
    """A user's custom attributes, `[{name, value}]`, found by phone or by email."""
    if (email is None) == (phone is None):
        message = "give one query parameter, phone or email" + (" (not both)" if email else "")
        raise ValidationFailed(message, [FieldError("phone", "query.one_of", message)])
    kind = IdentifierKind.EMAIL if email is not None else IdentifierKind.PHONE
    given = email if email is not None else phone
    ref = CustomerRef(kind, normalise(kind, given or "", kind.value, settings.max_identifier_bytes))
    customer = await service.get(db, actor, ref)
    return JsonResponse(
        [{"name": name, "value": _as_text(value)} for name, value in customer.attributes.items()]
    )


def _as_text(value: Any) -> str:
    """Attentive answers every value as a string: JSON's spelling of numbers and booleans."""
    return value if isinstance(value, str) else json.dumps(value)


@router.post("/v1/subscriptions", status_code=202)
async def post_subscriptions(
    body: SubscribeIn, db: DatabaseDep, settings: SettingsDep, actor: SubscriptionsWriter
) -> Response:
    """Opt a user in (created if new) by sign-up source id, or by locale and type."""
    external = body.external_identifiers or ExternalIdentifiers()
    if body.user.phone is None and body.user.email is None:
        message = "the user needs a phone or an email"
        raise ValidationFailed(message, [FieldError("user", "identifier.required", message)])
    named = Identified(
        client_user_id=external.client_user_id,
        email=body.user.email,
        phone=body.user.phone,
        custom=external.custom(),
        field_prefix="user",
    )
    ref, write = named.write({}, settings)
    opt_in = SubscriptionRequest(
        channel=None,  # the sign-up source's
        type=None if body.subscription_type is None else SubscriptionType(body.subscription_type),
        signup_source_id=None if body.sign_up_source_id is None else str(body.sign_up_source_id),
        locale=None if body.locale is None else body.locale.tag(),
        single_opt_in=bool(body.single_opt_in),
    )
    subscribing = Subscribing(actor, SubscriptionUpdate(subscriptions=[opt_in]))
    outcome = await upsert(
        db,
        actor,
        settings,
        ref,
        write,
        limits(actor, settings, V1_MAX_ATTRIBUTES),
        "user",
        subscribing,
        SUBSCRIBE_FIELDS,
    )
    customer = outcome.customer
    answer: dict[str, Any] = {
        "user": {"phone": customer.phone, "email": customer.email},
        "subscriptionResponses": _subscription_responses(subscribing.state),
    }
    if body.external_identifiers is not None:
        answer["externalIdentifiers"] = body.external_identifiers.model_dump(
            by_alias=True, exclude_none=True
        )
    return JsonResponse(answer, status_code=202)


def _subscription_responses(state: SubscriptionState | None) -> list[dict[str, Any]]:
    outcomes = state.outcomes if state is not None else ()
    return [
        {
            "subscription": {"type": outcome.type.value, "channel": outcome.channel.value},
            "subscriptionCreationStatus": "PREVIOUSLY_CREATED"
            if outcome.repeated
            else "NEWLY_CREATED",
        }
        for outcome in outcomes
    ]


@router.post("/v2/user/attributes", status_code=202)
async def post_user_attributes(
    body: UserPropertiesIn, db: DatabaseDep, settings: SettingsDep, actor: AttributesWriter
) -> Response:
    """Create or update one user with attributes, subscriptions and identifiers."""
    if body.subscriptions:
        actor.require(Scope.SUBSCRIPTIONS_WRITE)
    identifiers = body.identifiers
    named = Identified(
        client_user_id=identifiers.client_user_id,
        email=identifiers.email,
        phone=identifiers.phone,
        custom=identifiers.custom(),
        field_prefix="identifiers",
    )
    patch = attribute_patch(body.attributes)
    ref, write = named.write(patch.values, settings)
    write.timestamp = occurred_at(body.occurred_at)
    attribute_limits = limits(actor, settings, V2_MAX_ATTRIBUTES, patch.personal)
    opt_ins = _opt_ins(body.subscriptions or [])
    then = None if opt_ins is None else Subscribing(actor, opt_ins)
    await upsert(db, actor, settings, ref, write, attribute_limits, "attributes", then, patch.paths)
    return JsonResponse(
        {"success": True, "message": "The user was created or updated"}, status_code=202
    )


def _opt_ins(requested: list[Subscription]) -> SubscriptionUpdate | None:
    """Attentive's subscriptions as native opt-ins (its requests only opt in)."""
    if not requested:
        return None
    return SubscriptionUpdate(
        subscriptions=[
            SubscriptionRequest(
                channel=Channel(item.channel),
                type=None if item.chosen_type is None else SubscriptionType(item.chosen_type),
                signup_source_id=None
                if item.sign_up_source_id is None
                else str(item.sign_up_source_id),
                locale=item.locale_tag,
                single_opt_in=bool(item.single_opt_in),
            )
            for item in requested
        ]
    )


answer_unknown_routes(router)
