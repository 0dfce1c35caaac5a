"""SQL conditions on the `customers` table, for segments: who is related to what."""

from sqlalchemy import ColumnElement, exists

from attrium.customers.store import customers
from attrium.objects.store import relationships


def has_relationship(type_number: int, object_id: str | None = None) -> ColumnElement[bool]:
    """The customer is related to an object of the type (that object, if given)."""
    condition = exists().where(
        relationships.c.workspace_id == customers.c.workspace_id,
        relationships.c.profile_id == customers.c.profile_id,
        relationships.c.type_number == type_number,
    )
    if object_id is not None:
        condition = condition.where(relationships.c.object_id == object_id)
    return condition
