"""Writes and as-of reads for history tests, through the API."""

import time
from datetime import UTC, datetime
from typing import Any

import httpx


def put(api: httpx.Client, customer_id: str, **body: Any) -> dict[str, Any]:
    answer = api.put(f"/v1/customers/{customer_id}", json=body)
    assert answer.status_code in (200, 201), answer.text
    customer: dict[str, Any] = answer.json()
    return customer


def moment() -> str:
    """An instant strictly between the writes before and after it."""
    time.sleep(0.01)
    stamp = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    return stamp


def as_of(api: httpx.Client, ref: str, instant: str) -> dict[str, Any]:
    answer = api.get(f"/v1/customers/{ref}", params={"as_of": instant})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found
