"""Erasure: a customer and every trace of its personal data, but for anonymous counts."""

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity import store as activity_store
from attrium.attributes import stats as attribute_stats
from attrium.auth.actor import Actor
from attrium.core.clock import utcnow
from attrium.customers import store as customer_store
from attrium.customers.identity import CustomerRef, IdentifierKind
from attrium.customers.models import Customer
from attrium.identity import merge_store


def identifier_refs(customer: Customer) -> list[CustomerRef]:
    """Every identifier the customer can be addressed by, but its profile id."""
    refs = [
        CustomerRef(kind, value)
        for kind in (
            IdentifierKind.ID,
            IdentifierKind.EMAIL,
            IdentifierKind.PHONE,
            IdentifierKind.ANONYMOUS_ID,
        )
        if (value := customer.identifier(kind)) is not None
    ]
    refs.extend(
        CustomerRef(IdentifierKind.CUSTOM, value, name)
        for name, value in sorted(customer.custom_identifiers.items())
    )
    return refs


async def erase(connection: AsyncConnection, actor: Actor, customer: Customer) -> dict[str, int]:
    """Delete the customer (its subscriptions and relationships go with its row) and its
    activity; returns how many activity entries of each type were erased."""
    refs = [str(ref) for ref in identifier_refs(customer)]
    refs.append(f"profile:{customer.profile_id}")
    erased = await activity_store.erase_customer(
        connection, actor.workspace_id, customer.profile_id, refs
    )
    await customer_store.delete_customer(connection, actor.workspace_id, customer.profile_id)
    # Its merges can no longer be undone, and their snapshots hold personal data.
    await merge_store.close_involving(
        connection, actor.workspace_id, [customer.profile_id], merge_store.ERASED, utcnow()
    )
    held = customer.attributes.keys() - customer.defaulted  # defaults are not held
    await attribute_stats.record_writes(connection, actor, [], deleted=[held])
    return erased
