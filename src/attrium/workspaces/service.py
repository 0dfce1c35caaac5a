"""Workspaces: the tenants. Every other row belongs to exactly one."""

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from attrium.activity import service as activity
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.errors import AlreadyExists, FieldError, NotFound, ValidationFailed
from attrium.core.ids import new_workspace_id
from attrium.core.invalidation import Poller
from attrium.core.settings import Settings
from attrium.workspaces import store

if TYPE_CHECKING:
    from attrium.auth.actor import Actor

# Per-workspace settings a workspace admin may change, with the server-wide setting
# that provides each one's default.
ADJUSTABLE_SETTINGS = {
    "max_attributes": "max_attributes",
    "max_string_bytes": "max_string_bytes",
    "max_attributes_per_request": "max_attributes_per_request",
    "optimove_max_attributes": "optimove_max_attributes",
    "customerio_allow_email_updates_by_id": "customerio_allow_email_updates_by_id",
}


@dataclass(frozen=True, slots=True)
class Workspace:
    workspace_id: str
    name: str
    hash_key: str
    overrides: dict[str, Any] = field(default_factory=dict)
    # The version the request's API key was checked at (auth.service), which the
    # catalog it uses must match (attributes.cache); None when not checked by this
    # request, e.g. for an import runner working for minutes.
    catalog_version: int | None = None

    def setting(self, name: str, server: Settings) -> Any:
        """A per-workspace setting: the workspace's own value, else the server's."""
        if name in self.overrides:
            return self.overrides[name]
        return getattr(server, ADJUSTABLE_SETTINGS.get(name, name))

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Workspace":
        return cls(
            workspace_id=row["workspace_id"],
            name=row["name"],
            hash_key=row["hash_key"],
            overrides=dict(row["settings"] or {}),
        )


async def create(db: Database, name: str) -> Workspace:
    name = name.strip()
    if not name:
        raise ValidationFailed(
            "workspace name is empty", [FieldError("name", "required", "give the workspace a name")]
        )
    async with db.transaction() as connection:
        if await store.find_by_name(connection, name):
            raise AlreadyExists(f"a workspace named {name!r} exists")
        workspace_id = new_workspace_id()
        hash_key = secrets.token_hex(32)
        await store.insert_workspace(connection, workspace_id, name, hash_key, utcnow())
    return Workspace(workspace_id, name, hash_key)


async def get_by_name(db: Database, name: str) -> Workspace:
    async with db.reader() as connection:
        row = await store.find_by_name(connection, name)
    if row is None:
        raise NotFound(f"no workspace named {name!r}")
    return Workspace.from_row(row)


async def get(db: Database, workspace_id: str) -> Workspace:
    async with db.reader() as connection:
        row = await store.find_by_id(connection, workspace_id)
    if row is None:
        raise NotFound(f"no workspace {workspace_id!r}")
    return Workspace.from_row(row)


async def count(db: Database) -> int:
    async with db.reader() as connection:
        return await store.count(connection)


async def update_settings(
    db: Database, actor: "Actor", changes: dict[str, int | bool | None]
) -> Workspace:
    """Set (or, with None, reset to the server default) per-workspace settings."""
    unknown = sorted(set(changes) - set(ADJUSTABLE_SETTINGS))
    if unknown:
        raise ValidationFailed(
            "unknown settings",
            [
                FieldError(name, "unknown", f"{name!r} is not a workspace setting")
                for name in unknown
            ],
        )
    workspace = actor.workspace
    async with db.transaction() as connection:
        await store.bump_catalog_version(connection, workspace.workspace_id)
        row = await store.find_by_id(connection, workspace.workspace_id)
        if row is None:
            raise NotFound("workspace is gone")
        overrides = dict(row["settings"] or {})
        for name, value in changes.items():
            if value is None:
                overrides.pop(name, None)
            else:
                overrides[name] = value
        await store.update_settings(connection, workspace.workspace_id, overrides)
        await activity.record_admin_action(
            connection, workspace.workspace_id, "settings_changed", actor, {"changes": changes}
        )
    return Workspace(workspace.workspace_id, workspace.name, workspace.hash_key, overrides)


async def list_all(db: Database) -> list[Workspace]:
    async with db.reader() as connection:
        return [Workspace.from_row(row) for row in await store.list_all(connection)]


def version_poller(db: Database) -> Poller:
    """What keeps this process's caches of every workspace current (core.invalidation)."""
    return Poller(db, store.all_versions)
