"""API keys kept in process memory, so that a request's key costs no database read.

A live key is kept with its actor, whose workspace carries the version the key was
read at; it answers only while that is still the workspace's current version here
(core.invalidation). Revoking a key bumps its workspace's version, as does any change
to the workspace's settings or catalog, so the change ends what was kept: at once in
the process that made it, within `STALE_AFTER_SECONDS` in every other.

A token that matches no live key is kept too, so that a client repeating a revoked or
mistyped key costs no read; that holds only while no workspace's version has grown
(`Versions.epoch`; creating a key bumps its workspace's version). An attacker's random
tokens each cost one read, as without a cache, and churn only the bounded set of
unknown tokens, never the live keys.
"""

from dataclasses import dataclass
from typing import TypeVar

from attrium.auth.actor import Actor
from attrium.core.invalidation import Versions

MAX_LIVE_KEYS = 10_000
MAX_UNKNOWN_TOKENS = 10_000

Entry = TypeVar("Entry")


@dataclass(frozen=True, slots=True)
class _Live:
    actor: Actor
    versions: Versions  # of the database the key was read from


@dataclass(frozen=True, slots=True)
class _Unknown:
    versions: Versions
    epoch: int  # `versions.epoch` before the read that found no key


class KeyCache:
    """Token hashes to what a read found for them, each set bounded (oldest out first)."""

    def __init__(self) -> None:
        self._live: dict[str, _Live] = {}
        self._unknown: dict[str, _Unknown] = {}

    def live(self, token_hash: str, versions: Versions) -> Actor | None:
        """The actor of a live key, if what was read of it is current."""
        known = self._live.get(token_hash)
        if known is None or known.versions is not versions:
            return None
        actor = known.actor
        if versions.current(actor.workspace_id) != actor.workspace.catalog_version:
            return None
        return actor

    def unknown(self, token_hash: str, versions: Versions) -> bool:
        """No live key had this token, and no key can have been created since."""
        known = self._unknown.get(token_hash)
        return (
            known is not None
            and known.versions is versions
            and known.epoch == versions.epoch
            and versions.fresh
        )

    def remember_live(self, token_hash: str, actor: Actor, versions: Versions) -> None:
        self._unknown.pop(token_hash, None)
        _put(self._live, token_hash, _Live(actor, versions), MAX_LIVE_KEYS)

    def remember_unknown(self, token_hash: str, versions: Versions, epoch: int) -> None:
        self._live.pop(token_hash, None)
        _put(self._unknown, token_hash, _Unknown(versions, epoch), MAX_UNKNOWN_TOKENS)


def _put(entries: dict[str, Entry], token_hash: str, entry: Entry, limit: int) -> None:
    if token_hash not in entries and len(entries) >= limit:
        del entries[next(iter(entries))]
    entries[token_hash] = entry


keys = KeyCache()
