"""Reading a customer's activity log through the native API."""

from typing import Any

import httpx


def activity_of(api: httpx.Client, ref: str) -> list[dict[str, Any]]:
    """The newest page of `ref`'s activity entries (the request must succeed)."""
    answer = api.get(f"/v1/customers/{ref}/activity")
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items
