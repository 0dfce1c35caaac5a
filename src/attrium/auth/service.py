"""API keys: random tokens shown once, stored as SHA-256 hashes, scoped to one workspace."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity import service as activity
from attrium.auth import store
from attrium.auth.actor import Actor
from attrium.auth.cache import keys
from attrium.auth.scopes import ALL_SCOPES
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.errors import (
    FieldError,
    Forbidden,
    NotFound,
    Unauthenticated,
    ValidationFailed,
)
from attrium.core.ids import new_key_id
from attrium.workspaces import store as workspace_store
from attrium.workspaces.service import Workspace

TOKEN_PREFIX = "atr_"
TOKEN_BYTES = 32  # 256 bits of randomness
UNKNOWN_KEY = "the API key is missing, unknown or revoked"


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    workspace_id: str
    label: str | None
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "ApiKey":
        return cls(
            key_id=row["key_id"],
            workspace_id=row["workspace_id"],
            label=row["label"],
            scopes=tuple(row["scopes"]),
            created_at=row["created_at"],
            revoked_at=row["revoked_at"],
        )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(requested: list[str] | None) -> tuple[str, ...]:
    if requested is None:
        return tuple(sorted(ALL_SCOPES))
    unknown = sorted(set(requested) - ALL_SCOPES)
    if unknown:
        raise ValidationFailed(
            f"unknown scopes: {', '.join(unknown)}",
            [FieldError("scopes", "unknown", f"{name!r} is not a scope") for name in unknown],
        )
    return tuple(sorted(set(requested)))


def grantable_scopes(requested: list[str] | None, granted_by: Actor) -> tuple[str, ...]:
    """The scopes a key asks another key to hold; only scopes it holds itself.

    Scopes imply nothing (`workspace:admin` is not `catalog:admin`), so holding a
    scope means having it in the key's own list. Without `requested`, the new key
    gets every scope the creating key holds.
    """
    if requested is None:
        requested = sorted(granted_by.scopes & ALL_SCOPES)
    scopes = parse_scopes(requested)
    lacking = sorted(set(scopes) - granted_by.scopes)
    if lacking:
        raise Forbidden(
            f"a key may grant only scopes it holds; this key lacks: {', '.join(lacking)}",
            [
                FieldError("scopes", "not_held", f"this key lacks the {name!r} scope")
                for name in lacking
            ],
        )
    return scopes


async def create_key(
    db: Database,
    workspace: Workspace,
    scopes: list[str] | None = None,
    label: str | None = None,
    created_by: Actor | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its token; the token is never stored and cannot be shown again.

    Created by an actor (a key), the new key may hold only scopes that key holds;
    without one (the CLI, with the server's authority), any scopes, every one by default.
    """
    granted = parse_scopes(scopes) if created_by is None else grantable_scopes(scopes, created_by)
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    key = ApiKey(
        key_id=new_key_id(),
        workspace_id=workspace.workspace_id,
        label=label,
        scopes=granted,
        created_at=utcnow(),
        revoked_at=None,
    )
    async with db.transaction() as connection:
        # Bumped so that no process keeps taking the new token for an unknown one.
        await workspace_store.bump_catalog_version(connection, key.workspace_id)
        await store.insert_key(
            connection,
            workspace_id=key.workspace_id,
            key_id=key.key_id,
            token_hash=hash_token(token),
            label=label,
            scopes=list(key.scopes),
            created_at=key.created_at,
        )
        await activity.record_admin_action(
            connection,
            workspace.workspace_id,
            "key_created",
            created_by,
            {"key_id": key.key_id, "scopes": list(key.scopes), "label": label},
        )
    return key, token


async def authenticate(db: Database, token: str) -> Actor:
    """The actor a live key stands for, from memory while its workspace's version holds.

    A read of the key, its workspace's settings and version (one statement) is kept in
    memory (auth.cache) and used until the workspace's version changes, as revoking a
    key or changing the workspace's settings or catalog does; the catalog kept in
    memory (attributes.cache) is then the one of the version the actor carries.
    """
    token_hash = hash_token(token)
    versions = db.versions
    actor = keys.live(token_hash, versions)
    if actor is not None:
        return actor
    if keys.unknown(token_hash, versions):
        raise Unauthenticated(UNKNOWN_KEY)
    epoch = versions.epoch
    async with db.single_read() as connection:
        row = await store.find_active_by_hash(connection, token_hash)
    if row is None or not hmac.compare_digest(row["token_hash"], token_hash):
        keys.remember_unknown(token_hash, versions, epoch)
        raise Unauthenticated(UNKNOWN_KEY)
    actor = _actor(row)
    # Read outside any transaction, so committed: safe to learn from.
    versions.observe(actor.workspace_id, row["catalog_version"])
    keys.remember_live(token_hash, actor, versions)
    return actor


async def actor_for_key(
    connection: AsyncConnection, workspace_id: str, key_id: str
) -> Actor | None:
    """The actor of a live key found by id (a UI session holds the id, never the token)."""
    row = await store.find_active_by_id(connection, workspace_id, key_id)
    return _actor(row) if row else None


def _actor(row: dict[str, Any]) -> Actor:
    workspace = replace(Workspace.from_row(row), catalog_version=row["catalog_version"])
    return Actor(workspace=workspace, key_id=row["key_id"], scopes=frozenset(row["scopes"]))


async def list_keys(db: Database, workspace: Workspace) -> list[ApiKey]:
    async with db.reader() as connection:
        rows = await store.list_keys(connection, workspace.workspace_id)
    return [ApiKey.from_row(row) for row in rows]


async def revoke_key(
    db: Database, key_id: str, workspace: Workspace | None = None, revoked_by: Actor | None = None
) -> ApiKey:
    """Revoke a key; with `workspace`, only a key of that workspace."""
    workspace_id = workspace.workspace_id if workspace else None
    now = utcnow()
    async with db.transaction() as connection:
        row = await store.find_key(connection, key_id, workspace_id)
        if row is None:
            raise NotFound(f"no key {key_id!r}")
        if row["revoked_at"] is None:
            # Bumped so that every process stops taking the key (auth.cache).
            await workspace_store.bump_catalog_version(connection, row["workspace_id"])
            await store.mark_revoked(connection, key_id, now, row["workspace_id"])
        await activity.record_admin_action(
            connection, row["workspace_id"], "key_revoked", revoked_by, {"key_id": key_id}
        )
    return replace(ApiKey.from_row(row), revoked_at=row["revoked_at"] or now)
