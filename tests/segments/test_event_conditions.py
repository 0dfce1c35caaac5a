"""The event condition: performed EVENT at least N times within the last D days."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.segments.support import preview_ids, put
from tests.support.problems import assert_problem
from tests.support.workspaces import TestWorkspace


def days_ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def record(api: httpx.Client, customer: str, name: str, days: float) -> None:
    body = {"name": name, "timestamp": days_ago(days)}
    answer = api.post(f"/v1/customers/{customer}/events", json=body)
    assert answer.status_code == 201, answer.text


@pytest.fixture
def performed(api: httpx.Client) -> httpx.Client:
    """ann bought 3 times this week; ben twice this week, once 40 days ago; cat once,
    60 days ago, and logged in; dan did nothing."""
    for customer in ("ann", "ben", "cat", "dan"):
        put(api, customer)
    for days in (1, 2, 3):
        record(api, "ann", "purchase", days)
    for days in (1, 5, 40):
        record(api, "ben", "purchase", days)
    record(api, "cat", "purchase", 60)
    record(api, "cat", "login", 1)
    record(api, "dan", "purchase", -3)  # in the future: not yet performed
    return api


def test_at_least_n_times_within_the_last_d_days(performed: httpx.Client) -> None:
    api = performed
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"name": "purchase"}, {"ann", "ben", "cat"}),
        ({"name": "purchase", "within_last_days": 7}, {"ann", "ben"}),
        ({"name": "purchase", "at_least": 3, "within_last_days": 7}, {"ann"}),
        ({"name": "purchase", "at_least": 3, "within_last_days": 45}, {"ann", "ben"}),
        ({"name": "purchase", "at_least": 3}, {"ann", "ben"}),
        ({"name": "purchase", "at_least": 4}, set()),
        ({"name": "purchase", "within_last_days": 0.5}, set()),
        ({"name": "login", "within_last_days": 7}, {"cat"}),
        ({"name": "Purchase"}, set()),  # names are case-sensitive
    ]
    for condition, expected in cases:
        assert preview_ids(api, {"event": condition}) == expected, condition


def test_event_conditions_combine(performed: httpx.Client) -> None:
    api = performed
    bought = {"event": {"name": "purchase", "within_last_days": 7}}
    assert preview_ids(api, {"not": bought}) == {"cat", "dan"}
    logged_in = {"event": {"name": "login"}}
    assert preview_ids(api, {"any": [bought, logged_in]}) == {"ann", "ben", "cat"}
    assert preview_ids(api, {"all": [{"event": {"name": "purchase"}}, logged_in]}) == {"cat"}


def test_a_saved_segment_counts_events_recorded_later(api: httpx.Client) -> None:
    put(api, "ann")
    segment = api.post(
        "/v1/segments",
        json={
            "name": "buyers",
            "predicate": {"event": {"name": "purchase", "at_least": 2, "within_last_days": 30}},
        },
    )
    assert segment.status_code == 201, segment.text
    members = f"/v1/segments/{segment.json()['id']}/members"
    record(api, "ann", "purchase", 1)
    assert api.get(members).json()["items"] == []
    record(api, "ann", "purchase", 2)
    assert [item["id"] for item in api.get(members).json()["items"]] == ["ann"]


def test_bad_event_conditions_name_the_field(api: httpx.Client) -> None:
    bad: list[tuple[dict[str, Any], str]] = [
        ({"event": {}}, "predicate.event"),
        ({"event": "purchase"}, "predicate.event"),
        ({"event": {"name": ""}}, "predicate.event.name"),
        ({"event": {"name": 3}}, "predicate.event.name"),
        ({"event": {"name": "a", "at_least": 0}}, "predicate.event.at_least"),
        ({"event": {"name": "a", "at_least": 1.5}}, "predicate.event.at_least"),
        ({"event": {"name": "a", "at_least": True}}, "predicate.event.at_least"),
        ({"event": {"name": "a", "within_last_days": 0}}, "predicate.event.within_last_days"),
        ({"event": {"name": "a", "within_last_days": "7"}}, "predicate.event.within_last_days"),
        ({"event": {"name": "a", "times": 2}}, "predicate.event.times"),
        ({"event": {"name": "a"}, "attribute": "x"}, "predicate"),
    ]
    for predicate, field in bad:
        answer = api.post("/v1/segments/preview", json={"predicate": predicate})
        assert_problem(answer, 422, field)


def test_the_count_reads_the_event_index(api: httpx.Client, workspace: TestWorkspace) -> None:
    """The condition is answered from `ix_activity_events` (migration 0011_devices)."""
    from sqlalchemy import select

    from attrium.customers.store import customers
    from attrium.segments.events import EventCondition, event_sql

    put(api, "ann")
    condition = EventCondition("purchase", at_least=3, within_last_days=7)

    async def plan() -> str:
        async with workspace.backend.db.reader() as connection:
            backend = connection.dialect.name
            query = select(customers.c.profile_id).where(
                customers.c.workspace_id == workspace.workspace.workspace_id,
                event_sql(backend, condition, datetime.now(UTC)),
            )
            compiled = query.compile(connection.sync_connection, compile_kwargs={})
            explain = "EXPLAIN " if backend == "postgresql" else "EXPLAIN QUERY PLAN "
            if backend == "postgresql":
                await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            rows = await connection.exec_driver_sql(explain + str(compiled), _parameters(compiled))
            return "\n".join(str(row) for row in rows)

    assert "ix_activity_events" in workspace.backend.run(plan())


def _parameters(compiled: Any) -> tuple[Any, ...]:
    """The statement's parameters in the order of its placeholders (both drivers')."""
    return tuple(compiled.params[name] for name in compiled.positiontup)
