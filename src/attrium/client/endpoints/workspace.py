"""The workspace, its settings and keys, and the server's health."""

from collections.abc import Sequence

from attrium.client.calls import items, model, nothing
from attrium.client.declare import Request, endpoint, given
from attrium.client.models import ApiKey, CreatedKey, Workspace


@endpoint("GET", "/v1/workspace")
def get_workspace() -> Request[Workspace]:
    """The key's workspace and its effective settings."""
    return Request(model(Workspace))


@endpoint("PATCH", "/v1/workspace/settings")
def update_workspace_settings(**settings: int | bool | None) -> Request[Workspace]:
    """Set per-workspace settings (`max_attributes=`, …); None resets one to the server's."""
    return Request(model(Workspace), json=settings)


@endpoint("GET", "/v1/keys")
def list_keys() -> Request[list[ApiKey]]:
    """The workspace's keys (never their tokens)."""
    return Request(items(ApiKey))


@endpoint("POST", "/v1/keys")
def create_key(
    *, scopes: Sequence[str] | None = None, label: str | None = None
) -> Request[CreatedKey]:
    """A new key (every scope this key holds unless `scopes` says); its `token` is shown once."""
    body = given(scopes=list(scopes) if scopes is not None else None, label=label)
    return Request(model(CreatedKey), json=body)


@endpoint("DELETE", "/v1/keys/{key_id}")
def revoke_key(key_id: str) -> Request[None]:
    """Revoke a key; it stops working on its next request."""
    return Request(nothing)


@endpoint("GET", "/healthz")
def check_health() -> Request[None]:
    """Return if the server answers; raise otherwise."""
    return Request(nothing)


@endpoint("GET", "/readyz")
def check_ready() -> Request[None]:
    """Return if the server and its database answer; raise `Unavailable` otherwise."""
    return Request(nothing)
