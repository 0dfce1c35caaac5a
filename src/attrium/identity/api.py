"""Native identity routes: merge, suppress, unsuppress."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from attrium.auth.actor import Actor
from attrium.auth.api import requires
from attrium.auth.scopes import Scope
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.http import JsonRoute
from attrium.core.jsonio import JsonResponse
from attrium.core.schemas import PROBLEM_RESPONSES
from attrium.customers import service as customers
from attrium.customers.identity import CustomerRef, IdentifierKind, parse_ref
from attrium.customers.models import Customer, CustomerWrite
from attrium.customers.schemas import customer_body
from attrium.identity import merge as merging
from attrium.identity import service, undo
from attrium.identity.schemas import MergeIn, MergeList, MergeOut, SuppressionOut, UndoMergeOut

Writer = Annotated[Actor, Depends(requires(Scope.ATTRIBUTES_WRITE))]
Reader = Annotated[Actor, Depends(requires(Scope.ATTRIBUTES_READ))]

router = APIRouter(
    prefix="/v1/customers", tags=["identity"], route_class=JsonRoute, responses=PROBLEM_RESPONSES
)
merges_router = APIRouter(
    prefix="/v1/merges", tags=["identity"], route_class=JsonRoute, responses=PROBLEM_RESPONSES
)


def profile_ref(customer: Customer) -> CustomerRef:
    return CustomerRef(IdentifierKind.PROFILE, customer.profile_id)


@router.post("/merge", response_model=MergeOut)
async def merge_customers(
    body: MergeIn, db: DatabaseDep, settings: SettingsDep, actor: Writer
) -> Response:
    """Merge the secondary into the primary, atomically; the secondary is deleted."""
    max_bytes = settings.max_identifier_bytes
    primary = body.primary.to_ref("primary", max_bytes)
    outcome = await merging.merge(
        db,
        actor,
        primary,
        body.secondary.to_ref("secondary", max_bytes),
        customers.native_options(actor, settings),
    )
    # A key that may not read gets the merged customer's receipt (names, not values).
    customer = customers.seen_by(actor, outcome.customer, primary, CustomerWrite())
    return JsonResponse(
        {
            "customer": customer_body(customer),
            "merge_id": outcome.merge_id,
            "secondary_profile_id": outcome.secondary_profile_id,
            "moved_identifiers": outcome.moved_identifiers,
            "dropped_identifiers": outcome.dropped_identifiers,
            "gained_attributes": outcome.gained_attributes,
            "moved_rows": outcome.moved_rows,
        }
    )


@router.get("/{customer_id}/merges", response_model=MergeList)
async def customer_merges(
    customer_id: str, db: DatabaseDep, settings: SettingsDep, actor: Reader
) -> Response:
    """The merges into this customer, newest first; `open` ones can be undone."""
    ref = parse_ref(customer_id, settings.max_identifier_bytes)
    return JsonResponse({"items": await service.merges_of(db, actor, ref)})


@merges_router.post("/{merge_id}/undo", response_model=UndoMergeOut)
async def undo_merge(merge_id: str, db: DatabaseDep, actor: Writer) -> Response:
    """Recreate the secondary as the merge found it and take back from the primary what
    the merge moved onto it; what was written to the primary since stays (conflicts)."""
    outcome = await undo.undo(db, actor, merge_id)
    blank = CustomerWrite()
    primary = customers.seen_by(actor, outcome.primary, profile_ref(outcome.primary), blank)
    secondary = customers.seen_by(actor, outcome.secondary, profile_ref(outcome.secondary), blank)
    return JsonResponse(
        {
            "merge_id": outcome.merge_id,
            "primary": customer_body(primary),
            "secondary": customer_body(secondary),
            "conflicts": [conflict.as_dict() for conflict in outcome.conflicts],
            "returned_rows": outcome.returned_rows,
        }
    )


@router.post("/{customer_id}/suppress", response_model=SuppressionOut)
async def suppress_customer(
    customer_id: str, db: DatabaseDep, settings: SettingsDep, actor: Writer
) -> Response:
    """Delete the customer and block its identifiers (kept as keyed hashes) from reuse."""
    ref = parse_ref(customer_id, settings.max_identifier_bytes)
    suppression = await service.suppress(db, actor, ref)
    return JsonResponse(
        {
            "suppression_id": suppression.suppression_id,
            "profile_id": suppression.profile_id,
            "identifiers": suppression.identifiers,
        }
    )


@router.post("/{customer_id}/unsuppress", status_code=204)
async def unsuppress_customer(
    customer_id: str, db: DatabaseDep, settings: SettingsDep, actor: Writer
) -> Response:
    """Lift the suppression that blocks this identifier (and its siblings)."""
    await service.unsuppress(db, actor, parse_ref(customer_id, settings.max_identifier_bytes))
    return Response(status_code=204)
