"""Every route of the native API as a method of both clients, listed once.

`Client` and `AsyncClient` inherit `Methods`; each attribute is a route declared in
`attrium.client.endpoints` (see `attrium.client.declare`). `routes()` is the table
route → method that docs/sdk.md shows and the tests hold against the server's OpenAPI.
"""

from typing import Any

from attrium.client.declare import Route
from attrium.client.endpoints import (
    catalog,
    customers,
    events,
    identity,
    imports,
    objects,
    segments,
    subscriptions,
    templates,
    workspace,
)


class Methods:
    """The declared routes; see `Client` and `AsyncClient`."""

    # Customers, their activity and the export.

    get_customer = customers.get_customer
    put_customer = customers.put_customer
    batch_customers = customers.batch_customers
    patch_attributes = customers.patch_attributes
    delete_customer_attribute = customers.delete_customer_attribute
    delete_customer = customers.delete_customer
    find_customer = customers.find_customer
    iter_customers = customers.iter_customers
    iter_activity = customers.iter_activity
    iter_activity_log = customers.iter_activity_log
    iter_attribute_changes = customers.iter_attribute_changes
    iter_attribute_history = customers.iter_attribute_history
    export_customers = customers.export_customers

    # Events and devices.

    record_event = events.record_event
    record_anonymous_event = events.record_anonymous_event
    list_devices = events.list_devices
    put_device = events.put_device
    delete_device = events.delete_device

    # The attribute catalog.

    list_attributes = catalog.list_attributes
    get_attribute = catalog.get_attribute
    define_attribute = catalog.define_attribute
    update_attribute = catalog.update_attribute
    delete_attribute = catalog.delete_attribute

    # Suppression and merging.

    suppress_customer = identity.suppress_customer
    unsuppress_customer = identity.unsuppress_customer
    merge_customers = identity.merge_customers
    list_merges = identity.list_merges
    undo_merge = identity.undo_merge

    # Subscriptions: sign-up sources, topics, a customer's state.

    list_signup_sources = subscriptions.list_signup_sources
    create_signup_source = subscriptions.create_signup_source
    get_signup_source = subscriptions.get_signup_source
    delete_signup_source = subscriptions.delete_signup_source
    list_topics = subscriptions.list_topics
    create_topic = subscriptions.create_topic
    get_topic = subscriptions.get_topic
    delete_topic = subscriptions.delete_topic
    get_subscriptions = subscriptions.get_subscriptions
    put_subscriptions = subscriptions.put_subscriptions

    # Objects and relationships.

    list_object_types = objects.list_object_types
    create_object_type = objects.create_object_type
    get_object_type = objects.get_object_type
    iter_objects = objects.iter_objects
    put_object = objects.put_object
    get_object = objects.get_object
    delete_object = objects.delete_object
    list_object_relationships = objects.list_object_relationships
    list_relationships = objects.list_relationships
    change_relationships = objects.change_relationships

    # Segments.

    preview_segment = segments.preview_segment
    create_segment = segments.create_segment
    iter_segments = segments.iter_segments
    get_segment = segments.get_segment
    update_segment = segments.update_segment
    delete_segment = segments.delete_segment
    count_segment = segments.count_segment
    iter_segment_members = segments.iter_segment_members
    iter_segment_changes = segments.iter_segment_changes
    export_segment = segments.export_segment

    # Templates.

    render_template = templates.render_template
    create_template = templates.create_template
    iter_templates = templates.iter_templates
    get_template = templates.get_template
    update_template = templates.update_template
    delete_template = templates.delete_template
    render_saved_template = templates.render_saved_template
    preview_template = templates.preview_template

    # Imports.

    start_import = imports.start_import
    iter_imports = imports.iter_imports
    get_import = imports.get_import
    iter_import_errors = imports.iter_import_errors

    # The workspace, keys and health.

    get_workspace = workspace.get_workspace
    update_workspace_settings = workspace.update_workspace_settings
    list_keys = workspace.list_keys
    create_key = workspace.create_key
    revoke_key = workspace.revoke_key
    check_health = workspace.check_health
    check_ready = workspace.check_ready


def routes() -> list[Route[..., Any]]:
    """Every declared route, in declaration order."""
    return [value for value in vars(Methods).values() if isinstance(value, Route)]
