"""The per-process memory of authenticated keys: bounded in time, forgotten on change."""

import time

import httpx

from attrium.auth.actor import Actor
from attrium.auth.cache import KeyCache
from attrium.workspaces.service import Workspace
from tests.support.problems import assert_problem
from tests.support.workspaces import TestWorkspace


def _actor(workspace_id: str = "ws_1", key_id: str = "key_1") -> Actor:
    return Actor(Workspace(workspace_id, "w", "hash"), key_id, frozenset())


def test_an_entry_lives_no_longer_than_its_ttl() -> None:
    cache = KeyCache()
    cache.put("h", _actor(), cache.generation)
    assert cache.get("h", ttl_seconds=60) is not None
    time.sleep(0.02)
    assert cache.get("h", ttl_seconds=0.01) is None
    assert cache.get("h", ttl_seconds=60) is None


def test_revoking_or_changing_forgets_matching_entries_only() -> None:
    cache = KeyCache()
    cache.put("a", _actor("ws_1", "key_a"), cache.generation)
    cache.put("b", _actor("ws_2", "key_b"), cache.generation)
    cache.forget_key("key_a")
    assert cache.get("a", 60) is None
    assert cache.get("b", 60) is not None
    cache.forget_workspace("ws_2")
    assert cache.get("b", 60) is None


def test_a_lookup_that_raced_a_revocation_is_not_remembered() -> None:
    cache = KeyCache()
    started_at = cache.generation
    cache.forget_key("key_1")  # a revocation lands while the lookup reads the database
    cache.put("h", _actor(), started_at)
    assert cache.get("h", 60) is None


def test_a_revoked_key_stops_at_once_even_when_just_used(
    api: httpx.Client, workspace: TestWorkspace
) -> None:
    created = api.post("/v1/keys", json={"scopes": ["attributes:read"]}).json()
    with workspace.client(created["token"]) as reader:
        for _ in range(3):  # now remembered by the server
            assert_problem(reader.get("/v1/customers/nobody"), 404)
        assert api.delete(f"/v1/keys/{created['id']}").status_code == 204
        assert_problem(reader.get("/v1/customers/nobody"), 401)


def test_a_settings_change_applies_to_the_next_request(api: httpx.Client) -> None:
    assert api.put("/v1/customers/c1", json={"attributes": {"a": "x" * 50}}).status_code == 201
    assert api.patch("/v1/workspace/settings", json={"max_string_bytes": 10}).status_code == 200
    assert_problem(
        api.patch("/v1/customers/c1/attributes", json={"a": "y" * 50}), 422, "attributes.a"
    )
