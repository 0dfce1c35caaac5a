"""Each workspace's attribute catalog, kept in process memory while its version holds.

Every change to a workspace's definitions or settings bumps `workspaces.catalog_version`
in the same transaction (`workspaces.store.bump_catalog_version`), and every request's
actor carries the version its API key was checked at (`auth.service.authenticate`,
from memory while that version is current: core.invalidation). A catalog read at
version v is used only by requests whose actor carries the same v, so a change is
seen by the next request of the process that made it, and within
`core.invalidation.STALE_AFTER_SECONDS` by every other process, with no read of the
version per request.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.attributes import store
from attrium.attributes.models import Definition
from attrium.attributes.values import TypeSpec
from attrium.auth.actor import Actor

MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    """A namespace's definitions at one version, with what every write checks against
    them derived once per version: each attribute's `TypeSpec` and the defaults."""

    version: int
    definitions: dict[str, Definition]
    defaults: dict[str, Any]
    specs: dict[str, TypeSpec]


class CatalogCache:
    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], CatalogSnapshot] = {}

    def get(self, workspace_id: str, namespace: str, version: int) -> CatalogSnapshot | None:
        snapshot = self._entries.get((workspace_id, namespace))
        return snapshot if snapshot is not None and snapshot.version == version else None

    def put(self, workspace_id: str, namespace: str, snapshot: CatalogSnapshot) -> None:
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[(workspace_id, namespace)] = snapshot


catalogs = CatalogCache()


async def current_catalog(
    connection: AsyncConnection, actor: Actor, namespace: str
) -> CatalogSnapshot:
    """The namespace's definitions as of the version the actor's key was checked at.

    An actor without a version (not authenticated by this request, e.g. an import
    runner's, which reads once per batch) always reads the database. A read is kept
    only when the version it saw is the actor's: a transaction that changed the
    catalog itself sees a newer, uncommitted version, and what it reads must not
    outlive it.
    """
    version = actor.workspace.catalog_version
    if version is not None and (known := catalogs.get(actor.workspace_id, namespace, version)):
        return known
    read_version, rows = await store.namespace_with_version(
        connection, actor.workspace_id, namespace
    )
    definitions = {row["name"]: Definition.from_row(row) for row in rows}
    snapshot = CatalogSnapshot(
        version=read_version,
        definitions=definitions,
        defaults={
            name: item.default for name, item in definitions.items() if item.default is not None
        },
        specs={name: definition.spec for name, definition in definitions.items()},
    )
    if version is not None and read_version == version:
        catalogs.put(actor.workspace_id, namespace, snapshot)
    return snapshot
