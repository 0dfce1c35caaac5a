"""What one Track API request says about a person, as native service inputs.

`PersonWrite.parse` reads an identify body: identifiers, custom attributes, and what
applies with them in the same transaction (subscription preferences, relationships).
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.attributes.models import AttributeLimits
from attrium.auth.actor import Actor
from attrium.core.errors import FieldError, ValidationFailed
from attrium.customers import service
from attrium.customers.identity import CustomerRef, IdentifierKind, normalise
from attrium.customers.models import Customer, CustomerWrite
from attrium.customers.timing import event_time
from attrium.objects import service as objects
from attrium.objects.models import ObjectKey, RelationshipInput
from attrium.subscriptions import service as subscriptions
from attrium.subscriptions.models import SubscriptionUpdate

CIO_ID_PREFIX = "cio_"
MAX_IDENTIFIER_BYTES = 150
PREFERENCES = "cio_subscription_preferences"
TOPIC_KEY_PREFIX = f"{PREFERENCES}.topics."
RELATIONSHIPS = "cio_relationships"
ADD_RELATIONSHIPS = "add_relationships"
DELETE_RELATIONSHIPS = "delete_relationships"
RESERVED_FIELDS = frozenset(
    {"id", "email", "cio_id", "anonymous_id", "created_at", "_update", "unsubscribed"}
    | {"timestamp", PREFERENCES, RELATIONSHIPS}
)


def person_ref(identifier: str, field: str) -> CustomerRef:
    """A person's reference: `cio_<profile id>`, an email address, or an id."""
    if identifier.startswith(CIO_ID_PREFIX):
        value = identifier.removeprefix(CIO_ID_PREFIX)
        return CustomerRef(
            IdentifierKind.PROFILE,
            normalise(IdentifierKind.PROFILE, value, field, MAX_IDENTIFIER_BYTES),
        )
    kind = IdentifierKind.EMAIL if "@" in identifier else IdentifierKind.ID
    return CustomerRef(kind, normalise(kind, identifier, field, MAX_IDENTIFIER_BYTES))


MERGE_KEYS = {"id": "", "email": "", "cio_id": CIO_ID_PREFIX}


def merge_side_ref(side: str, given: Any) -> CustomerRef:
    """One side of `merge_customers`: `{"id" | "email" | "cio_id": value}`."""
    if not isinstance(given, dict) or len(given) != 1 or next(iter(given)) not in MERGE_KEYS:
        message = f"{side} names the person by exactly one of id, email or cio_id"
        raise _invalid(side, "identifier.required", message)
    [key] = given
    text = _text(given, key)
    prefix = MERGE_KEYS[key]
    if key == "email":
        kind = IdentifierKind.EMAIL
        return CustomerRef(kind, normalise(kind, text, f"{side}.email", MAX_IDENTIFIER_BYTES))
    return person_ref(prefix + text.removeprefix(prefix), f"{side}.{key}")


@dataclass(frozen=True, slots=True)
class PersonWrite:
    """One identify request: the customer write, and what else applies with it."""

    ref: CustomerRef
    write: CustomerWrite
    preferences: "_Preferences"
    relationships: "_Relationships"

    @classmethod
    def parse(cls, identifier: str, body: dict[str, Any]) -> "PersonWrite":
        ref = person_ref(identifier, "identifier")
        if body.get("cio_id") is not None:
            ref = person_ref(f"{CIO_ID_PREFIX}{_text(body, 'cio_id')}", "cio_id")
        identifiers: dict[IdentifierKind, str | None] = {
            kind: _text(body, kind.value)
            for kind in (IdentifierKind.ID, IdentifierKind.EMAIL, IdentifierKind.ANONYMOUS_ID)
            if body.get(kind.value) not in (None, "")
        }
        attributes = {
            name: None if value == "" else value
            for name, value in body.items()
            if name not in RESERVED_FIELDS and not name.startswith(TOPIC_KEY_PREFIX)
        }
        if "created_at" in body:
            attributes["created_at"] = _unix_seconds(body["created_at"], "created_at")
        update_only = body.get("_update", False)
        if not isinstance(update_only, bool):
            raise _invalid("_update", "type", "_update must be true or false")
        # When the data is from (Customer.io's `timestamp`): an older identify leaves
        # newer values (customers.timing).
        seconds = _unix_seconds(body.get("timestamp"), "timestamp")
        write = CustomerWrite(
            identifiers=identifiers,
            attributes=attributes,
            update_only=update_only,
            timestamp=None if seconds is None else _event_time(seconds),
        )
        return cls(ref, write, _Preferences.parse(body), _Relationships.parse(body))

    def then(self, actor: Actor, limits: AttributeLimits) -> service.AfterWrite | None:
        """Subscriptions and relationships, applied in the write's own transaction."""
        if not self.preferences.given and not self.relationships.given:
            return None

        async def apply_the_rest(connection: AsyncConnection, customer: Customer) -> None:
            if self.preferences.given:
                changes = await self.preferences.as_update(connection, actor, customer)
                await subscriptions.apply(connection, actor, customer, changes)
            if self.relationships.given:
                await objects.apply_relationships(
                    connection,
                    actor,
                    customer.profile_id,
                    self.relationships.add,
                    self.relationships.remove,
                    limits,
                    MAX_IDENTIFIER_BYTES,
                )

        return apply_the_rest


@dataclass(frozen=True, slots=True)
class _Preferences:
    """`unsubscribed` and topic preferences: the whole object, or one topic by dot key."""

    unsubscribed: bool | None
    replaced_topics: dict[str, bool | None] | None  # the whole object: others reset
    changed_topics: dict[str, bool | None]  # dot notation: others kept

    @property
    def given(self) -> bool:
        return (
            self.unsubscribed is not None
            or self.replaced_topics is not None
            or bool(self.changed_topics)
        )

    @classmethod
    def parse(cls, body: dict[str, Any]) -> "_Preferences":
        unsubscribed = body.get("unsubscribed")
        if unsubscribed is not None and not isinstance(unsubscribed, bool):
            raise _invalid("unsubscribed", "type", "unsubscribed must be true or false")
        replaced = None
        if body.get(PREFERENCES) is not None:
            preferences = body[PREFERENCES]
            topics = preferences.get("topics", {}) if isinstance(preferences, dict) else None
            if not isinstance(topics, dict):
                raise _invalid(PREFERENCES, "type", f'{PREFERENCES} is {{"topics": {{…}}}}')
            replaced = {
                name: _preference(f"{PREFERENCES}.topics.{name}", value)
                for name, value in topics.items()
            }
        changed = {
            name.removeprefix(TOPIC_KEY_PREFIX): _preference(name, value)
            for name, value in body.items()
            if name.startswith(TOPIC_KEY_PREFIX)
        }
        return cls(unsubscribed, replaced, changed)

    async def as_update(
        self, connection: AsyncConnection, actor: Actor, customer: Customer
    ) -> SubscriptionUpdate:
        topics = dict(self.changed_topics)
        if self.replaced_topics is not None:
            state = await subscriptions.state_of(connection, actor, customer.profile_id)
            reset: dict[str, bool | None] = dict.fromkeys(state.topics)
            topics = reset | self.replaced_topics | topics
        return SubscriptionUpdate(unsubscribed=self.unsubscribed, topics=topics)


def _preference(field: str, value: Any) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise _invalid(field, "type", "a topic preference is true, false or null")
    return value


@dataclass(frozen=True, slots=True)
class _Relationships:
    """`cio_relationships`: add (or update) or delete a batch of relationships."""

    add: list[RelationshipInput]
    remove: list[ObjectKey]

    @property
    def given(self) -> bool:
        return bool(self.add or self.remove)

    @classmethod
    def parse(cls, body: dict[str, Any]) -> "_Relationships":
        given = body.get(RELATIONSHIPS)
        if given is None:
            return cls([], [])
        if not isinstance(given, dict):
            raise _invalid(RELATIONSHIPS, "type", f"{RELATIONSHIPS} must be an object")
        action = given.get("action", ADD_RELATIONSHIPS)
        if action not in (ADD_RELATIONSHIPS, DELETE_RELATIONSHIPS):
            message = f"action is {ADD_RELATIONSHIPS} or {DELETE_RELATIONSHIPS}"
            raise _invalid(f"{RELATIONSHIPS}.action", "enum", message)
        items = given.get("relationships", [])
        if not isinstance(items, list):
            raise _invalid(f"{RELATIONSHIPS}.relationships", "type", "relationships is an array")
        parsed = [_relationship(index, item) for index, item in enumerate(items)]
        if action == DELETE_RELATIONSHIPS:
            return cls([], [ObjectKey(item.type_id, item.object_id) for item in parsed])
        return cls(parsed, [])


def _relationship(index: int, item: Any) -> RelationshipInput:
    field = f"{RELATIONSHIPS}.relationships.{index}"
    identifiers = item.get("identifiers") if isinstance(item, dict) else None
    if not isinstance(identifiers, dict):
        raise _invalid(f"{field}.identifiers", "required", "each relationship names identifiers")
    names = {}
    for name in ("object_type_id", "object_id"):
        value = identifiers.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value:
            raise _invalid(f"{field}.identifiers.{name}", "required", f"{name} is a string")
        names[name] = value
    attributes = item.get("relationship_attributes") or {}
    if not isinstance(attributes, dict):
        message = "relationship_attributes must be an object"
        raise _invalid(f"{field}.relationship_attributes", "type", message)
    return RelationshipInput(names["object_type_id"], names["object_id"], attributes)


def _text(body: dict[str, Any], name: str) -> str:
    value = body[name]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise _invalid(name, "type", f"{name} must be a string")
    return value


def _unix_seconds(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(field, "type", f"{field} must be a Unix timestamp in seconds")
    return value


def _event_time(seconds: int) -> str:
    try:
        return event_time(seconds)
    except ValueError as error:
        raise _invalid("timestamp", "range", str(error)) from None


def _invalid(field: str, rule: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, [FieldError(field, rule, message)])
