"""Assertions on problem+json answers."""

from typing import Any

import httpx


def assert_problem(
    response: httpx.Response, status: int, field: str | None = None
) -> dict[str, Any]:
    """The response is an RFC 9457 problem of `status`, naming `field` if given."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["type"].startswith("/problems/")
    assert problem["title"]
    assert problem["detail"]
    if field is not None:
        fields = [error["field"] for error in problem.get("errors", [])]
        assert field in fields, problem
    return problem
