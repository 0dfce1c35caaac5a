"""Customers and definitions for segment tests, written through the API."""

from typing import Any

import httpx


def declare(api: httpx.Client, name: str, attribute_type: str, **extra: Any) -> None:
    answer = api.post("/v1/attributes", json={"name": name, "type": attribute_type, **extra})
    assert answer.status_code == 201, answer.text


def put(api: httpx.Client, customer_id: str, **body: Any) -> dict[str, Any]:
    answer = api.put(f"/v1/customers/{customer_id}", json=body)
    assert answer.status_code in (200, 201), answer.text
    customer: dict[str, Any] = answer.json()
    return customer


def preview_ids(api: httpx.Client, predicate: dict[str, Any], sample: int = 100) -> set[str]:
    """The external ids of the customers `predicate` selects (all of them, up to `sample`)."""
    answer = api.post("/v1/segments/preview", json={"predicate": predicate, "sample": sample})
    assert answer.status_code == 200, answer.text
    found = answer.json()
    ids = {customer["id"] for customer in found["sample"]}
    assert found["count"] == len(ids), found
    return ids


def where(name: str, op: str, value: Any = None) -> dict[str, Any]:
    condition: dict[str, Any] = {"attribute": name, "op": op}
    if value is not None:
        condition["value"] = value
    return condition
