"""UI sessions: sign in with an API key, kept server-side; the browser holds a random secret.

The session row names the key by id, never by token, so revoking the key ends every
session signed in with it. Only a hash of the browser's secret is stored, and the CSRF
token is derived from that secret, so a copy of the database forges neither.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from attrium.auth import service as auth
from attrium.auth.actor import Actor
from attrium.auth.scopes import Scope
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.ui import store

UI_SOURCE = "ui"
SESSION_SECRET_BYTES = 32
_CSRF_PURPOSE = b"attrium-ui-csrf"


@dataclass(frozen=True, slots=True)
class UiSession:
    secret: str
    actor: Actor
    expires_at: datetime

    @property
    def csrf_token(self) -> str:
        return csrf_token_for(self.secret)

    def can(self, scope: Scope) -> bool:
        return scope in self.actor.scopes


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_token_for(secret: str) -> str:
    return hmac.new(secret.encode(), _CSRF_PURPOSE, hashlib.sha256).hexdigest()


def tokens_match(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def new_secret() -> str:
    return secrets.token_urlsafe(SESSION_SECRET_BYTES)


async def sign_in(db: Database, api_key: str, lifetime: timedelta) -> UiSession:
    """A session for the key's holder (Unauthenticated, or Forbidden without read scope)."""
    actor = await auth.authenticate(db, api_key.strip())
    actor.require(Scope.ATTRIBUTES_READ)
    secret = new_secret()
    now = utcnow()
    async with db.transaction() as connection:
        await store.delete_expired(connection, now)
        await store.insert_session(
            connection,
            workspace_id=actor.workspace_id,
            session_hash=_hash(secret),
            key_id=actor.key_id,
            created_at=now,
            expires_at=now + lifetime,
        )
    return UiSession(secret, actor.with_source(UI_SOURCE), now + lifetime)


async def resume(db: Database, secret: str) -> UiSession | None:
    """The live session holding this secret, if its key is still live."""
    async with db.reader() as connection:
        row = await store.find_live(connection, _hash(secret), utcnow())
        if row is None:
            return None
        actor = await auth.actor_for_key(connection, row["workspace_id"], row["key_id"])
    if actor is None:
        return None
    return UiSession(secret, actor.with_source(UI_SOURCE), row["expires_at"])


async def sign_out(db: Database, secret: str) -> None:
    async with db.transaction() as connection:
        await store.delete_session(connection, _hash(secret))
