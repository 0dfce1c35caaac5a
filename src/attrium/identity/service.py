"""Identity rules beyond a single write: suppression (and, in `merge`, merging).

Suppressing deletes the customer like an erasure and blocks each of its identifiers
(the addressed one too, when nobody holds it) from being used again; unsuppressing
any one of them lifts the whole suppression.
"""

from dataclasses import dataclass
from typing import Any

from attrium.activity import service as activity
from attrium.activity.service import ActivityEntry, ActivityType
from attrium.auth.actor import Actor
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.errors import FieldError, NotFound, ValidationFailed
from attrium.core.ids import new_ulid
from attrium.customers import service as customers
from attrium.customers import store as customer_store
from attrium.customers.identity import CustomerRef, IdentifierKind
from attrium.customers.reads import resolve
from attrium.identity import erasure, merge_store, store
from attrium.identity.suppressions import identifier_hash


@dataclass(frozen=True, slots=True)
class Suppression:
    suppression_id: str
    profile_id: str | None  # the customer it deleted, if one held the identifier
    identifiers: list[str]  # which identifiers were blocked, by field (never the values)


async def suppress(db: Database, actor: Actor, ref: CustomerRef) -> Suppression:
    """Delete the customer `ref` names, if any, and block its identifiers."""
    async with db.transaction() as connection:
        profile_id = await customer_store.owner_of(connection, actor.workspace_id, ref)
        if profile_id is None and ref.kind is IdentifierKind.PROFILE:
            raise NotFound(f"no customer with profile id {ref.value}")
        refs = [ref]
        erased: dict[str, int] = {}
        if profile_id is not None:
            await customer_store.read(connection, actor.workspace_id, profile_id, lock=True)
            customer = await customers.read_customer(connection, actor, profile_id)
            refs = erasure.identifier_refs(customer)
            erased = await erasure.erase(connection, actor, customer)
        suppression_id = new_ulid()
        hashes = {identifier_hash(actor.workspace.hash_key, each): each.field for each in refs}
        await store.insert(connection, actor.workspace_id, suppression_id, hashes, utcnow())
        fields = sorted(set(hashes.values()))
        details = {
            "suppression_id": suppression_id,
            "identifiers": fields,
            "erased_activity_entries": sum(erased.values()),
            "erased_by_type": erased,
        }
        entry = ActivityEntry(ActivityType.CUSTOMER_SUPPRESSED, details=details)
        await activity.record(connection, actor, [entry])
    return Suppression(suppression_id, profile_id, fields)


async def unsuppress(db: Database, actor: Actor, ref: CustomerRef) -> int:
    """Lift the suppression blocking `ref`; returns how many identifiers it freed."""
    if ref.kind is IdentifierKind.PROFILE:
        message = "suppressed customers are deleted: unsuppress one of their identifiers"
        raise ValidationFailed(message, [FieldError("customer_id", "identifier.kind", message)])
    async with db.transaction() as connection:
        found = await store.suppression_of(
            connection,
            actor.workspace_id,
            [identifier_hash(actor.workspace.hash_key, ref)],
        )
        if not found:
            raise NotFound(f"{ref.field} {ref} is not suppressed")
        suppression_id = next(iter(found.values()))
        freed = await store.lift(connection, actor.workspace_id, suppression_id)
        details = {"suppression_id": suppression_id, "identifiers_freed": freed}
        entry = ActivityEntry(ActivityType.CUSTOMER_UNSUPPRESSED, details=details)
        await activity.record(connection, actor, [entry])
    return freed


async def merges_of(db: Database, actor: Actor, ref: CustomerRef) -> list[dict[str, Any]]:
    """The merges into the customer `ref` names, newest first (only `open` ones can be
    undone)."""
    async with db.reader() as connection:
        profile_id = await resolve(connection, actor, ref)
        return await merge_store.merges_into(connection, actor.workspace_id, profile_id)
