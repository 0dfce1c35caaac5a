"""Every table, imported so that `metadata` is complete (migrations, tests)."""

from attrium.activity.store import activity
from attrium.attributes.stats_store import attribute_stat_deltas, attribute_stats
from attrium.attributes.store import attribute_definitions
from attrium.auth.store import api_keys
from attrium.core.database import metadata
from attrium.customers.store import customer_identifiers, customers
from attrium.devices.store import devices
from attrium.identity.merge_store import merges
from attrium.identity.store import suppressions
from attrium.imports.store import import_chunks, import_errors, import_jobs
from attrium.objects.store import object_types, objects, relationships
from attrium.segments.store import segments
from attrium.subscriptions.store import (
    signup_sources,
    subscriptions,
    topic_preferences,
    topics,
    unsubscribes,
)
from attrium.templates.store import templates
from attrium.ui.store import ui_sessions
from attrium.workspaces.store import workspaces

__all__ = [
    "activity",
    "api_keys",
    "attribute_definitions",
    "attribute_stat_deltas",
    "attribute_stats",
    "customer_identifiers",
    "customers",
    "devices",
    "import_chunks",
    "import_errors",
    "import_jobs",
    "merges",
    "metadata",
    "object_types",
    "objects",
    "relationships",
    "segments",
    "signup_sources",
    "subscriptions",
    "suppressions",
    "templates",
    "topic_preferences",
    "topics",
    "ui_sessions",
    "unsubscribes",
    "workspaces",
]
