"""The customer pages: find a customer by any identifier, then see all of them."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from attrium.activity import service as activity
from attrium.activity.service import ActivityType
from attrium.attributes import service as catalog
from attrium.auth.actor import Actor
from attrium.auth.scopes import Scope
from attrium.core.database import Database
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.errors import ValidationFailed
from attrium.customers import service as customers
from attrium.customers.identity import CustomerRef, IdentifierKind, normalise, parse_ref
from attrium.customers.models import Customer
from attrium.identity import service as identity
from attrium.objects import service as objects
from attrium.objects.models import ObjectType, Relationship
from attrium.subscriptions import configuration
from attrium.subscriptions import service as subscriptions
from attrium.subscriptions.models import SignupSource, SubscriptionState, Topic
from attrium.ui.routing import UiRoute
from attrium.ui.security import SessionDep
from attrium.ui.web import UI_PREFIX, redirect, render

router = APIRouter(route_class=UiRoute)

CUSTOMERS_PER_PAGE = 25
ACTIVITY_PER_PAGE = 50
FAILURE_TYPES = frozenset({ActivityType.ATTRIBUTE_UPDATE_FAILURE, ActivityType.WRITE_REJECTED})
# Entries whose one old and new value are shown as before → after (a customer write's
# entry shows each of its changes).
CHANGE_TYPES = frozenset(
    {
        ActivityType.SUBSCRIPTION_CHANGED,
        ActivityType.UNSUBSCRIBED_CHANGED,
        ActivityType.TOPIC_PREFERENCE_CHANGED,
    }
)
# Details shown elsewhere in an entry, not in its list of details.
SHOWN_DETAILS = frozenset({"errors", "identifier"})
# Tried in this order when the search text names no kind (`email:…`, `custom:N:V`, …).
UNPREFIXED_KINDS = (
    IdentifierKind.EMAIL,
    IdentifierKind.PHONE,
    IdentifierKind.ANONYMOUS_ID,
    IdentifierKind.PROFILE,
)


@dataclass(frozen=True, slots=True)
class Reach:
    """A customer's subscriptions, topic preferences and relationships, with the names
    of the workspace's topics, sign-up sources and object types they refer to."""

    state: SubscriptionState
    topics: list[Topic]
    sources: dict[str, SignupSource]
    relationships: list[Relationship]
    object_types: dict[str, ObjectType]


async def reach_of(db: Database, actor: Actor, ref: CustomerRef) -> Reach:
    sources = await configuration.list_signup_sources(db, actor)
    object_types = await objects.list_object_types(db, actor)
    return Reach(
        state=await subscriptions.get_state(db, actor, ref),
        topics=await configuration.list_topics(db, actor),
        sources={source.source_id: source for source in sources},
        relationships=await objects.relationships_of(db, actor, ref),
        object_types={object_type.type_id: object_type for object_type in object_types},
    )


def candidate_refs(text: str, max_bytes: int) -> list[CustomerRef]:
    """What the search text may name: as written, then as each identifier kind it fits."""
    refs = [parse_ref(text, max_bytes)]
    if ":" in text:
        return refs
    for kind in UNPREFIXED_KINDS:
        try:
            refs.append(CustomerRef(kind, normalise(kind, text, "q", max_bytes)))
        except ValidationFailed:
            continue
    return refs


async def find_by_any(db: Database, actor: Actor, text: str, max_bytes: int) -> Customer | None:
    for ref in candidate_refs(text, max_bytes):
        found = await customers.find(db, actor, ref)
        if found is not None:
            return found
    return None


@router.get("/customers")
async def customers_page(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    session: SessionDep,
    q: Annotated[str, Query(max_length=1000)] = "",
    cursor: str | None = None,
) -> Response:
    text = q.strip()
    if text:
        try:
            found = await find_by_any(db, session.actor, text, settings.max_identifier_bytes)
        except ValidationFailed as invalid:
            return await _search_page(request, db, session, text, invalid.detail, None, 422)
        if found is not None:
            return redirect(request, f"{UI_PREFIX}/customers/{found.profile_id}")
        message = f"No customer has {text!r}."
        return await _search_page(request, db, session, text, message, None, 404)
    return await _search_page(request, db, session, text, None, cursor, 200)


async def _search_page(
    request: Request,
    db: Database,
    session: SessionDep,
    text: str,
    message: str | None,
    cursor: str | None,
    status: int,
) -> Response:
    page = await customers.list_customers(db, session.actor, cursor, CUSTOMERS_PER_PAGE)
    return render(
        request,
        "customers.html",
        session=session,
        status=status,
        q=text,
        message=message,
        page=page,
    )


@router.get("/customers/{profile_id}")
async def customer_page(
    request: Request,
    db: DatabaseDep,
    session: SessionDep,
    profile_id: str,
    cursor: str | None = None,
    undone: str | None = None,
) -> Response:
    ref = CustomerRef(IdentifierKind.PROFILE, profile_id.upper())
    customer = await customers.get(db, session.actor, ref)
    merges = await identity.merges_of(db, session.actor, ref)
    definitions = await catalog.definitions_by_name(db, session.actor)
    reach = await reach_of(db, session.actor, ref)
    history = await activity.customer_history(
        db, session.actor, customer.profile_id, cursor, ACTIVITY_PER_PAGE
    )
    return render(
        request,
        "customer.html",
        session=session,
        customer=customer,
        definitions=definitions,
        reach=reach,
        history=history,
        merges=merges,
        undone=next((item for item in merges if item["merge_id"] == undone), None),
        can_undo=session.can(Scope.ATTRIBUTES_WRITE),
        failure_types=FAILURE_TYPES,
        change_types=CHANGE_TYPES,
        shown_details=SHOWN_DETAILS,
    )
