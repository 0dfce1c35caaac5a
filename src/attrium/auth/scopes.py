"""The permissions a key can carry."""

from enum import StrEnum


class Scope(StrEnum):
    ATTRIBUTES_READ = "attributes:read"
    ATTRIBUTES_WRITE = "attributes:write"
    SUBSCRIPTIONS_WRITE = "subscriptions:write"
    CATALOG_ADMIN = "catalog:admin"
    WORKSPACE_ADMIN = "workspace:admin"


ALL_SCOPES = frozenset(Scope)
