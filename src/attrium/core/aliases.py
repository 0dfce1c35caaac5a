"""Paths served by routes mounted under another prefix, found before routing.

A request to an alias is the request to `prefix + path`: the same route and handler
answer it (a dialect's vendor paths at the root of the main port, and every path of
a port given to one dialect). Only the path changes; the access log keeps the one
the client sent.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.types import Scope


@dataclass(frozen=True)
class PathAliases:
    # path prefix at the root -> the prefix its routes are mounted under, prepended
    at_root: Mapping[str, str] = field(default_factory=dict)
    # local port -> the prefix prepended to every path that arrives on it
    by_port: Mapping[int, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.at_root or self.by_port)

    def apply(self, scope: Scope) -> None:
        """Rewrite the request's path (and raw path) to where its route is mounted."""
        mount = self.mount_of(scope)
        if mount is None:
            return
        scope["path"] = mount + scope["path"]
        raw_path: bytes | None = scope.get("raw_path")
        if raw_path is not None:
            scope["raw_path"] = mount.encode("ascii") + raw_path

    def mount_of(self, scope: Scope) -> str | None:
        server = scope.get("server")
        if server is not None and self.by_port:
            mount = self.by_port.get(server[1])
            if mount is not None:
                return mount
        path: str = scope["path"]
        for prefix, mount in self.at_root.items():
            if path.startswith(prefix) and path[len(prefix) : len(prefix) + 1] in ("", "/"):
                return mount
        return None
