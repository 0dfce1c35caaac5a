"""Every table, imported so that `metadata` is complete (migrations, tests)."""

from attrium.activity.store import activity
from attrium.attributes.store import attribute_definitions
from attrium.auth.store import api_keys
from attrium.core.database import metadata
from attrium.customers.store import customer_identifiers, customers
from attrium.identity.store import suppressions
from attrium.workspaces.store import workspaces

__all__ = [
    "activity",
    "api_keys",
    "attribute_definitions",
    "customer_identifiers",
    "customers",
    "metadata",
    "suppressions",
    "workspaces",
]
