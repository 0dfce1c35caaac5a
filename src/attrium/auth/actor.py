"""Who is acting: the workspace, the key, its scopes, and the route family used."""

from dataclasses import dataclass, replace

from attrium.auth.scopes import Scope
from attrium.core.errors import Forbidden
from attrium.workspaces.service import Workspace


@dataclass(frozen=True, slots=True)
class Actor:
    workspace: Workspace
    key_id: str | None
    scopes: frozenset[str]
    source: str = "api"

    @property
    def workspace_id(self) -> str:
        return self.workspace.workspace_id

    def require(self, scope: Scope) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"this key lacks the {scope.value!r} scope")

    def with_source(self, source: str) -> "Actor":
        return replace(self, source=source)
