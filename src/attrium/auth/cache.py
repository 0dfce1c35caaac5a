"""A short-lived, per-process memory of authenticated keys.

Authenticating a key is a database round trip on every request; remembering the
answer for a few seconds removes it from the hot path. A key revoked or a workspace
changed by this process is forgotten at once; another process (a second worker or
node) sees the change within the time-to-live (`ATTRIUM_AUTH_CACHE_SECONDS`).
"""

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from attrium.auth.actor import Actor

MAX_ENTRIES = 10_000


class KeyCache:
    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Actor]] = {}
        self._generation = 0

    @property
    def generation(self) -> int:
        """Changes whenever something is forgotten; a lookup started before must not be kept."""
        return self._generation

    def get(self, token_hash: str, ttl_seconds: float) -> "Actor | None":
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        stored_at, actor = entry
        if time.monotonic() - stored_at >= ttl_seconds:
            self._entries.pop(token_hash, None)
            return None
        return actor

    def put(self, token_hash: str, actor: "Actor", generation: int) -> None:
        if generation != self._generation:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[token_hash] = (time.monotonic(), actor)

    def forget_key(self, key_id: str) -> None:
        self._forget(lambda actor: actor.key_id == key_id)

    def forget_workspace(self, workspace_id: str) -> None:
        self._forget(lambda actor: actor.workspace_id == workspace_id)

    def _forget(self, matches: Callable[["Actor"], bool]) -> None:
        self._generation += 1
        for token_hash, (_stored_at, actor) in list(self._entries.items()):
            if matches(actor):
                del self._entries[token_hash]


authenticated_keys = KeyCache()
