"""Suppressed identifiers: kept as keyed hashes, so the values themselves are gone.

A hash is HMAC-SHA256 under the workspace's secret `hash_key` of the identifier's
kind, name (for custom identifiers) and canonical value: equal identifiers hash
equally within a workspace, and nobody without the key can test a guess.
"""

import hashlib
import hmac
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.auth.actor import Actor
from attrium.core.errors import FieldError, IdentifierSuppressed
from attrium.customers.identity import CustomerRef, IdentifierKind
from attrium.identity import store


def identifier_hash(hash_key: str, ref: CustomerRef) -> str:
    message = "\x1f".join((ref.kind.value, ref.name or "", ref.value))
    return hmac.new(hash_key.encode(), message.encode(), hashlib.sha256).hexdigest()


async def ensure_not_suppressed(
    connection: AsyncConnection, actor: Actor, refs: Iterable[tuple[str, CustomerRef]]
) -> None:
    """Refuse a write naming a suppressed identifier; `refs` pairs a field with a ref."""
    hashed = {
        identifier_hash(actor.workspace.hash_key, ref): field
        for field, ref in refs
        if ref.kind is not IdentifierKind.PROFILE
    }
    blocked = await store.suppression_of(connection, actor.workspace_id, list(hashed))
    if not blocked:
        return
    fields = sorted({hashed[identifier_hash] for identifier_hash in blocked})
    message = "belongs to a suppressed customer; unsuppress it before using it again"
    raise IdentifierSuppressed(
        f"{', '.join(fields)} {message}",
        [FieldError(field, "identifier.suppressed", f"{field} {message}") for field in fields],
    )
