"""Who holds an identifier: the keys the write pipeline and the refusal recorder share."""

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.customers import store
from attrium.customers.identity import CustomerRef, IdentifierKind

IdentifierKey = tuple[IdentifierKind, str | None, str]


def key_of(ref: CustomerRef) -> IdentifierKey:
    return (ref.kind, ref.name, ref.value)


async def holders_of(
    connection: AsyncConnection, workspace_id: str, keys: Iterable[IdentifierKey]
) -> dict[IdentifierKey, str]:
    """The customer holding each identifier (unlocked), one query per kind or custom name."""
    wanted: dict[tuple[IdentifierKind, str | None], set[str]] = {}
    for kind, name, value in keys:
        wanted.setdefault((kind, name), set()).add(value)
    found: dict[IdentifierKey, str] = {}
    for (kind, name), values in wanted.items():
        if kind is IdentifierKind.CUSTOM:
            owners = await store.owners_by_custom(
                connection, workspace_id, name or "", sorted(values)
            )
        else:
            owners = await store.owners_by_column(connection, workspace_id, kind, sorted(values))
        found.update({(kind, name, value): owner for value, owner in owners.items()})
    return found
