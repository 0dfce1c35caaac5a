"""Property: timestamped writes converge to the newest value per attribute, whatever
order they arrive in and whichever path (PUT, PATCH, batch) brings them, one after
the other or all at once, on both backends."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.backends import LiveBackend
from tests.support.workspaces import new_workspace

EXAMPLES = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
START = 1_700_000_000

# (seconds after START, attribute patch); every write has its own time, so that
# "the newest" is one write per attribute.
Write = tuple[int, dict[str, Any]]

# Each attribute keeps one type, so that no write is refused by the catalog.
VALUES = {
    "a": st.integers(-3, 3),
    "b": st.sampled_from(["x", "y", "z"]),
    "c": st.booleans(),
}
patches = st.sets(st.sampled_from(sorted(VALUES)), min_size=1).flatmap(
    lambda names: st.fixed_dictionaries(
        {name: st.one_of(st.none(), VALUES[name]) for name in sorted(names)}
    )
)


@st.composite
def arrivals(draw: st.DrawFn) -> list[tuple[Write, str]]:
    """Writes with distinct times, in the order they arrive, each with its path."""
    times = draw(st.lists(st.integers(0, 10_000), min_size=1, max_size=8, unique=True))
    writes = [(time, draw(patches)) for time in times]
    ordered = draw(st.permutations(writes))
    routes = st.sampled_from(["put", "patch", "batch", "put-text"])
    return [(write, draw(routes)) for write in ordered]


def newest(writes: list[Write]) -> dict[str, Any]:
    """Per attribute, the value of the newest write naming it (None: removed)."""
    final: dict[str, tuple[int, Any]] = {}
    for time, patch in writes:
        for name, value in patch.items():
            if name not in final or final[name][0] < time:
                final[name] = (time, value)
    return {name: value for name, (_, value) in final.items() if value is not None}


def request_of(write: Write, route: str) -> tuple[str, str, dict[str, Any]]:
    """(method, path, keyword arguments of httpx) bringing `write` by `route`."""
    time, patch = write
    seconds = START + time
    if route == "patch":
        return (
            "PATCH",
            "/v1/customers/c1/attributes",
            {
                "json": patch,
                "params": {"timestamp": str(seconds)},
            },
        )
    if route == "batch":
        item = {"id": "c1", "timestamp": seconds, "attributes": patch}
        return "POST", "/v1/customers/batch", {"json": {"customers": [item]}}
    stamp: int | str = seconds
    if route == "put-text":
        stamp = datetime.fromtimestamp(seconds, UTC).isoformat()
    return "PUT", "/v1/customers/c1", {"json": {"timestamp": stamp, "attributes": patch}}


@given(arrived=arrivals(), together=st.booleans())
@EXAMPLES
def test_timestamped_writes_converge_to_the_newest_value_per_attribute(
    backend: LiveBackend, arrived: list[tuple[Write, str]], together: bool
) -> None:
    workspace = new_workspace(backend)
    with workspace.client() as api:
        assert api.put("/v1/customers/c1", json={}).status_code == 201
        requests = [request_of(write, route) for write, route in arrived]
        if together:
            statuses = asyncio.run(
                _all_at_once(workspace.backend.base_url, workspace.token, requests)
            )
        else:
            statuses = [
                api.request(method, url, **kwargs).status_code for method, url, kwargs in requests
            ]
        assert set(statuses) == {200}, statuses
        attributes = api.get("/v1/customers/c1").json()["attributes"]
    assert attributes == newest([write for write, _ in arrived])


async def _all_at_once(
    base_url: str, token: str, requests: list[tuple[str, str, dict[str, Any]]]
) -> list[int]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        answers = await asyncio.gather(
            *(client.request(method, url, **kwargs) for method, url, kwargs in requests)
        )
    return [answer.status_code for answer in answers]
