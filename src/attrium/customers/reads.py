"""Reading customers: by reference, by profile id, and page by page."""

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.attributes import service as catalog
from attrium.attributes.models import CUSTOMER_NAMESPACE
from attrium.auth.actor import Actor
from attrium.core.database import Database
from attrium.core.errors import NotFound
from attrium.core.pagination import Page, cursor_string, encode_cursor
from attrium.customers import store
from attrium.customers.identity import CustomerRef
from attrium.customers.models import Customer


async def read_customer(connection: AsyncConnection, actor: Actor, profile_id: str) -> Customer:
    row = await store.read(connection, actor.workspace_id, profile_id)
    if row is None:
        raise NotFound(f"no customer with profile id {profile_id}")
    custom = await store.custom_identifiers_of(connection, actor.workspace_id, [profile_id])
    defaults = await catalog.defaults(connection, actor, CUSTOMER_NAMESPACE)
    return Customer.from_row(row, custom[profile_id], defaults)


async def resolve(connection: AsyncConnection, actor: Actor, ref: CustomerRef) -> str:
    profile_id = await store.owner_of(connection, actor.workspace_id, ref)
    if profile_id is None:
        raise NotFound(f"no customer {ref}")
    return profile_id


async def get(db: Database, actor: Actor, ref: CustomerRef) -> Customer:
    async with db.reader() as connection:
        return await read_customer(connection, actor, await resolve(connection, actor, ref))


async def find(db: Database, actor: Actor, ref: CustomerRef) -> Customer | None:
    try:
        return await get(db, actor, ref)
    except NotFound:
        return None


async def read_many(db: Database, actor: Actor, profile_ids: list[str]) -> dict[str, Customer]:
    """The customers of these profile ids that exist, by profile id, read together."""
    async with db.reader() as connection:
        return await read_customers(connection, actor, profile_ids)


async def read_customers(
    connection: AsyncConnection, actor: Actor, profile_ids: list[str]
) -> dict[str, Customer]:
    """`read_many` on the caller's connection (inside its transaction)."""
    rows = await store.read_many(connection, actor.workspace_id, profile_ids)
    custom = await store.custom_identifiers_of(connection, actor.workspace_id, list(rows))
    defaults = await catalog.defaults(connection, actor, CUSTOMER_NAMESPACE)
    return {key: Customer.from_row(row, custom[key], defaults) for key, row in rows.items()}


async def list_customers(
    db: Database, actor: Actor, cursor: str | None, limit: int
) -> Page[Customer]:
    after = cursor_string(cursor)
    async with db.reader() as connection:
        rows = await store.page(connection, actor.workspace_id, after, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        profile_ids = [row["profile_id"] for row in rows]
        custom = await store.custom_identifiers_of(connection, actor.workspace_id, profile_ids)
        defaults = await catalog.defaults(connection, actor, CUSTOMER_NAMESPACE)
    items = [Customer.from_row(row, custom[row["profile_id"]], defaults) for row in rows]
    next_cursor = encode_cursor(profile_ids[-1]) if more and profile_ids else None
    return Page(items, next_cursor)
