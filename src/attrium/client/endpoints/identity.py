"""Suppression and merging of customers."""

from collections.abc import Mapping
from typing import Any

from attrium.client.calls import items, model, nothing
from attrium.client.declare import Request, endpoint
from attrium.client.models import Merge, MergeRecord, Suppression, UndoneMerge


@endpoint("POST", "/v1/customers/{ref}/suppress")
def suppress_customer(ref: str) -> Request[Suppression]:
    """Delete the customer and block its identifiers (kept as keyed hashes) from reuse."""
    return Request(model(Suppression))


@endpoint("POST", "/v1/customers/{ref}/unsuppress")
def unsuppress_customer(ref: str) -> Request[None]:
    """Lift the suppression that blocks this identifier (and its siblings)."""
    return Request(nothing)


@endpoint("POST", "/v1/customers/merge")
def merge_customers(primary: Mapping[str, Any], secondary: Mapping[str, Any]) -> Request[Merge]:
    """Merge `secondary` into `primary`, each named by one identifier: `{"email": …}`,
    `{"id": …}`, `{"profile_id": …}` or `{"custom_identifier": {"name": …, "value": …}}`."""
    return Request(model(Merge), json={"primary": dict(primary), "secondary": dict(secondary)})


@endpoint("GET", "/v1/customers/{ref}/merges")
def list_merges(ref: str) -> Request[list[MergeRecord]]:
    """The merges into the customer, newest first; `open` ones can be undone."""
    return Request(items(MergeRecord))


@endpoint("POST", "/v1/merges/{merge_id}/undo")
def undo_merge(merge_id: str) -> Request[UndoneMerge]:
    """Restore the merge's secondary and take back from the primary what the merge
    moved onto it; what was written to the primary since stays (listed as conflicts)."""
    return Request(model(UndoneMerge))
