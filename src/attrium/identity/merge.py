"""Merging two customers into one, atomically.

The primary must exist and keeps everything it has. From the secondary it gains the
attributes it lacks, the identifiers it lacks (an identifier kind it already holds
stays its own), the subscriptions, topic preferences, relationships and devices it
has no counterpart of, and the whole activity history (events included). Then the
secondary is deleted, and the merge is recorded on the primary, with what undoing it
needs (`identity.merge_record`; earlier merges of either customer can no longer be
undone). Both rows are
locked, in profile id order, for the whole transaction. What the primary becomes is
planned by `customers.merging.plan_merge`, under the route's limits (a Customer.io
person holds at most 300 attributes, merged or not).
"""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity import store as activity_store
from attrium.attributes import service as catalog
from attrium.attributes import stats as attribute_stats
from attrium.attributes.models import CUSTOMER_NAMESPACE
from attrium.auth.actor import Actor
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.errors import AttriumError, FieldError, NotFound, ValidationFailed
from attrium.core.ids import new_ulid
from attrium.customers import refusals, storing
from attrium.customers import store as customer_store
from attrium.customers.identity import CustomerRef
from attrium.customers.merging import plan_merge
from attrium.customers.models import Customer
from attrium.customers.planning import CustomerState, WriteOptions
from attrium.devices import store as device_store
from attrium.identity import merge_record, merge_store
from attrium.objects import store as object_store
from attrium.subscriptions import store as subscription_store


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    customer: Customer  # the primary, as it is after the merge
    merge_id: str  # names the merge to undo it
    secondary_profile_id: str
    moved_identifiers: list[str]  # fields the primary gained
    dropped_identifiers: list[str]  # the secondary's fields the primary already had
    gained_attributes: list[str]
    moved_rows: dict[str, int]  # subscriptions, ..., devices, activity


async def merge(
    db: Database,
    actor: Actor,
    primary: CustomerRef,
    secondary: CustomerRef,
    options: WriteOptions,
) -> MergeOutcome:
    """Merge `secondary` into `primary` under the route's write rules; all or nothing."""
    try:
        async with db.transaction() as connection:
            return await _merge(connection, actor, primary, secondary, options)
    except AttriumError as error:
        await refusals.record_refusal(db, actor, primary, error)
        raise


async def _merge(
    connection: AsyncConnection,
    actor: Actor,
    primary: CustomerRef,
    secondary: CustomerRef,
    options: WriteOptions,
) -> MergeOutcome:
    primary_id = await _owner(connection, actor, primary, "primary")
    secondary_id = await _owner(connection, actor, secondary, "secondary")
    if primary_id == secondary_id:
        message = "the primary and the secondary are the same customer"
        raise ValidationFailed(message, [FieldError("secondary", "merge.same_customer", message)])
    workspace_id = actor.workspace_id
    locked = await customer_store.lock_holders(
        connection, workspace_id, {"profile_id": [primary_id, secondary_id]}
    )
    for profile_id in (primary_id, secondary_id):
        if profile_id not in locked:
            raise NotFound(f"customer profile:{profile_id} was deleted while this request ran")
    now = utcnow()
    merge_id = new_ulid()
    await merge_store.close_involving(
        connection, workspace_id, [primary_id, secondary_id], merge_store.MERGED_AGAIN, now
    )
    side_rows = await merge_record.side_rows(connection, workspace_id, secondary_id)
    activity_ids = await merge_record.activity_ids_of(connection, workspace_id, secondary_id)
    moved_rows = await _move_rows(connection, actor, secondary_id, primary_id)
    plan = plan_merge(
        CustomerState(*locked[primary_id]),
        CustomerState(*locked[secondary_id]),
        options,
        now,
        {"merge_id": merge_id, "secondary_profile_id": secondary_id, "moved_rows": moved_rows},
    )
    left = await merge_record.side_rows(connection, workspace_id, secondary_id)
    document = merge_record.snapshot(
        locked[secondary_id],
        side_rows,
        merge_record.moved_keys(side_rows, left),
        activity_ids,
        (locked[primary_id][0], plan.primary.row),
        {
            "attributes": {
                name: locked[secondary_id][0]["attributes"][name] for name in plan.gained_attributes
            },
            "columns": {
                column: plan.primary.row[column] for column in plan.primary.changed_columns
            },
            "custom": {k: v for k, v in plan.custom_identifier_changes.items() if v is not None},
        },
    )
    # The secondary goes first, so that its identifiers are free for the primary.
    await customer_store.delete_customer(connection, workspace_id, secondary_id)
    changes = attribute_stats.StatChanges()
    changes.add_changed(plan.gained_attributes, [], plan.gained_attributes)
    changes.add_deleted(locked[secondary_id][0]["attributes"])
    await storing.store_writes(connection, actor, [], [plan.primary], [plan.entry], changes)
    await customer_store.set_custom_identifiers(
        connection,
        workspace_id,
        [(primary_id, name, value) for name, value in plan.custom_identifier_changes.items()],
    )
    await merge_store.insert_merge(
        connection,
        {
            "workspace_id": workspace_id,
            "merge_id": merge_id,
            "primary_profile_id": primary_id,
            "secondary_profile_id": secondary_id,
            "state": merge_store.OPEN,
            "created_at": now,
            "snapshot": document,
        },
    )
    defaults = await catalog.defaults(connection, actor, CUSTOMER_NAMESPACE)
    return MergeOutcome(
        customer=Customer.from_row(plan.primary.row, plan.primary.custom_identifiers, defaults),
        merge_id=merge_id,
        secondary_profile_id=secondary_id,
        moved_identifiers=plan.moved_identifiers,
        dropped_identifiers=plan.dropped_identifiers,
        gained_attributes=plan.gained_attributes,
        moved_rows=moved_rows,
    )


async def _owner(connection: AsyncConnection, actor: Actor, ref: CustomerRef, field: str) -> str:
    profile_id = await customer_store.owner_of(connection, actor.workspace_id, ref)
    if profile_id is None:
        raise NotFound(
            f"the {field} customer {ref} does not exist",
            [FieldError(field, "customer.exists", f"no customer {ref}")],
        )
    return profile_id


async def _move_rows(
    connection: AsyncConnection, actor: Actor, secondary_id: str, primary_id: str
) -> dict[str, int]:
    workspace_id = actor.workspace_id
    moved = await subscription_store.move_to(connection, workspace_id, secondary_id, primary_id)
    moved["relationships"] = await object_store.move_relationships(
        connection, workspace_id, secondary_id, primary_id
    )
    moved["devices"] = await device_store.move_devices(
        connection, workspace_id, secondary_id, primary_id
    )
    moved["activity"] = await activity_store.reassign(
        connection, workspace_id, secondary_id, primary_id
    )
    return moved
