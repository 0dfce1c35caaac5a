"""The activity entry a customer write records: every change it made, in one entry."""

from typing import Any

from attrium.activity.service import ActivityEntry, ActivityType


def write_entry(
    activity_type: ActivityType,
    profile_id: str,
    attributes: dict[str, Any],
    identifiers: dict[str, Any],
    details: dict[str, Any] | None = None,
) -> ActivityEntry | None:
    """The one entry recording a write's changes; None if it changed nothing."""
    changes: dict[str, Any] = {}
    if attributes:
        changes["attributes"] = attributes
    if identifiers:
        changes["identifiers"] = identifiers
    if not changes and activity_type is ActivityType.CUSTOMER_UPDATED:
        return None
    return ActivityEntry(
        activity_type, profile_id=profile_id, changes=changes or None, details=details
    )
