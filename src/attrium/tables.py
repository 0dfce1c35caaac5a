"""Every table, imported so that `metadata` is complete (migrations, tests)."""

from attrium.activity.store import activity
from attrium.attributes.store import attribute_definitions
from attrium.auth.store import api_keys
from attrium.core.database import metadata
from attrium.customers.store import customer_identifiers, customers
from attrium.identity.store import suppressions
from attrium.imports.store import import_chunks, import_errors, import_jobs
from attrium.segments.store import segments
from attrium.templates.store import templates
from attrium.ui.store import ui_sessions
from attrium.workspaces.store import workspaces

__all__ = [
    "activity",
    "api_keys",
    "attribute_definitions",
    "customer_identifiers",
    "customers",
    "import_chunks",
    "import_errors",
    "import_jobs",
    "metadata",
    "segments",
    "suppressions",
    "templates",
    "ui_sessions",
    "workspaces",
]
