"""The dialects' event times: Customer.io's `timestamp` and Attentive's `occurredAt` map
onto the native write's time, so an older write leaves newer values."""

import httpx

from tests.dialects.test_attentive import V1, assert_error, v1, v2
from tests.dialects.test_customerio import assert_error as assert_cio_error
from tests.dialects.test_customerio import assert_ok, person, put
from tests.dialects.test_customerio import track as track

NOON = 1714564800  # 2024-05-01T12:00:00Z


def test_customerio_timestamp_is_the_identify_time(api: httpx.Client, track: httpx.Client) -> None:
    assert_ok(put(track, "p1", timestamp=NOON, plan="pro"))
    assert_ok(put(track, "p1", timestamp=NOON - 60, plan="free", seen="web"))
    found = person(api, "p1")
    assert found is not None
    # `timestamp` is the write's time, not an attribute.
    assert found["attributes"] == {"plan": "pro", "seen": "web"}
    assert_ok(put(track, "p1", timestamp=NOON + 60, plan="team"))
    assert person(api, "p1")["attributes"]["plan"] == "team"  # type: ignore[index]
    assert_cio_error(put(track, "p1", timestamp="noon", plan="x"), 400, "timestamp")


def test_attentive_occurred_at_is_the_write_time(
    api: httpx.Client, attentive: httpx.Client
) -> None:
    user = {"email": "a@b.co"}
    body = {"properties": {"tier": "gold"}, "user": user, "occurredAt": "2024-05-01T12:00:00Z"}
    assert attentive.post(V1, json=body).status_code == 200
    older = {"properties": {"tier": "tin"}, "user": user, "occurredAt": "2024-05-01T11:00:00Z"}
    assert attentive.post(V1, json=older).status_code == 200
    assert person(api, "email:a@b.co")["attributes"] == {"tier": "gold"}  # type: ignore[index]
    late = v2(
        attentive,
        attributes={"tier": "lead"},
        occurredAt="2024-05-01T11:30:00+00:00",
    )
    assert late.status_code == 202, late.text
    assert person(api, "email:a@b.co")["attributes"] == {"tier": "gold"}  # type: ignore[index]
    assert v1(attentive, {"tier": "now"}).status_code == 200  # no time: applies now
    assert person(api, "email:a@b.co")["attributes"] == {"tier": "now"}  # type: ignore[index]
    unzoned = {**body, "occurredAt": "2024-05-01T12:00:00"}
    assert_error(attentive.post(V1, json=unzoned), 400, "occurredAt")
