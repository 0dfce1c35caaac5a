"""Suppressed identifiers: kept as keyed hashes, so the values themselves are gone.

A hash is HMAC-SHA256 under the workspace's secret `hash_key` of the identifier's
kind, name (for custom identifiers) and canonical value: equal identifiers hash
equally within a workspace, and nobody without the key can test a guess.
"""

import functools
import hashlib
import hmac
from collections.abc import Iterable, Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.auth.actor import Actor
from attrium.core.errors import FieldError, IdentifierSuppressed
from attrium.customers.identity import CustomerRef, IdentifierKind
from attrium.identity import store


def identifier_hash(hash_key: str, ref: CustomerRef) -> str:
    message = "\x1f".join((ref.kind.value, ref.name or "", ref.value))
    keyed = _keyed(hash_key).copy()
    keyed.update(message.encode())
    return keyed.hexdigest()


@functools.lru_cache(maxsize=256)
def _keyed(hash_key: str) -> "hmac.HMAC":
    """The HMAC state after the key: copying it costs a third of keying a new one (an
    import hashes every new customer's identifiers)."""
    return hmac.new(hash_key.encode(), digestmod=hashlib.sha256)


async def ensure_not_suppressed(
    connection: AsyncConnection, actor: Actor, refs: Iterable[tuple[str, CustomerRef]]
) -> None:
    """Refuse a write naming a suppressed identifier; `refs` pairs a field with a ref."""
    [error] = await suppression_errors(connection, actor, [list(refs)])
    if error is not None:
        raise error


async def suppression_errors(
    connection: AsyncConnection, actor: Actor, writes: Sequence[Sequence[tuple[str, CustomerRef]]]
) -> list[IdentifierSuppressed | None]:
    """For each write's (field, ref) pairs, the error refusing it, if one is suppressed.

    One query for all of them.
    """
    hashed_writes = [
        {
            identifier_hash(actor.workspace.hash_key, ref): field
            for field, ref in refs
            if ref.kind is not IdentifierKind.PROFILE
        }
        for refs in writes
    ]
    every_hash = sorted({value for hashed in hashed_writes for value in hashed})
    blocked = set(await store.suppression_of(connection, actor.workspace_id, every_hash))
    return [_suppressed(hashed, blocked) for hashed in hashed_writes]


def _suppressed(hashed: dict[str, str], blocked: set[str]) -> IdentifierSuppressed | None:
    fields = sorted({field for value, field in hashed.items() if value in blocked})
    if not fields:
        return None
    message = "belongs to a suppressed customer; unsuppress it before using it again"
    return IdentifierSuppressed(
        f"{', '.join(fields)} {message}",
        [FieldError(field, "identifier.suppressed", f"{field} {message}") for field in fields],
    )
