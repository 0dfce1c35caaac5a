"""Customer.io events and devices: the official client's requests, replayed.

The bodies are what customerio-python's `customerio/track.py` (`CustomerIO.track`,
`backfill`, `pageview`, `track_anonymous`, `add_device`, `delete_device`, through
`_build_event` and `ClientBase.send_request`) puts on the wire: datetimes as Unix
seconds, `anonymous_id` only when given, `delete_device` with a `{}` body.
"""

from typing import Any

import httpx

from tests.dialects.test_customerio import assert_error, assert_ok, person, put, track

__all__ = ["track"]  # the fixture


def events_of(api: httpx.Client, **params: str) -> list[dict[str, Any]]:
    answer = api.get("/v1/activity", params={"type": "event", **params})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_track_records_the_persons_event(track: httpx.Client, api: httpx.Client) -> None:
    assert_ok(put(track, "5", email="bob@example.com"))
    # cio.track(customer_id="5", name="purchase", data={"price": 23.45})
    assert_ok(
        track.post("/customers/5/events", json={"name": "purchase", "data": {"price": 23.45}})
    )
    [event] = events_of(api, customer="5")
    assert event["details"]["name"] == "purchase"
    assert event["details"]["data"] == {"price": 23.45}
    assert event["source"] == "customerio"


def test_track_with_id_and_timestamp_and_backfill(track: httpx.Client, api: httpx.Client) -> None:
    assert_ok(put(track, "5"))
    # cio.track("5", "signup", id="01J...", timestamp=datetime(2023, 11, 14, 22, 13, 20, UTC))
    body = {
        "name": "signup",
        "data": {},
        "id": "01HF0000000000000000000000",
        "timestamp": 1700000000,
    }
    assert_ok(track.post("/customers/5/events", json=body))
    # cio.backfill("5", "purchase", 1600000000, price=5)
    backfill = {"name": "purchase", "data": {"price": 5}, "timestamp": 1600000000}
    assert_ok(track.post("/customers/5/events", json=backfill))
    by_name = {e["details"]["name"]: e for e in events_of(api, customer="5")}
    assert by_name["signup"]["created_at"] == "2023-11-14T22:13:20Z"
    assert by_name["signup"]["details"]["id"] == "01HF0000000000000000000000"
    assert by_name["purchase"]["created_at"] == "2020-09-13T12:26:40Z"


def test_pageview_is_an_event_of_type_page(track: httpx.Client, api: httpx.Client) -> None:
    assert_ok(put(track, "5"))
    # cio.pageview("5", "/pricing", referer="/")
    body = {"type": "page", "name": "/pricing", "data": {"referer": "/"}}
    assert_ok(track.post("/customers/5/events", json=body))
    [event] = events_of(api, customer="5")
    assert event["details"]["type"] == "page"


def test_an_event_for_a_new_person_adds_them(track: httpx.Client, api: httpx.Client) -> None:
    assert_ok(track.post("/customers/ada%40example.com/events", json={"name": "x", "data": {}}))
    found = person(api, "email:ada@example.com")
    assert found is not None
    assert len(events_of(api, customer="email:ada@example.com")) == 1


def test_an_event_for_an_unknown_cio_id_is_dropped(track: httpx.Client, api: httpx.Client) -> None:
    answer = track.post("/customers/cio_01HF0000000000000000000000/events", json={"name": "x"})
    assert_ok(answer)
    assert events_of(api) == []


def test_track_anonymous(track: httpx.Client, api: httpx.Client) -> None:
    assert_ok(put(track, "5", anonymous_id="anon-1"))
    # cio.track_anonymous("anon-1", "invite", {"to": "friend@example.com"})
    body = {"name": "invite", "data": {"to": "friend@example.com"}, "anonymous_id": "anon-1"}
    assert_ok(track.post("/events", json=body))
    # cio.track_anonymous(None, "visit"): no anonymous_id at all
    assert_ok(track.post("/events", json={"name": "visit", "data": {}}))
    # cio.track_anonymous("anon-2", "visit"): nobody holds it yet
    assert_ok(track.post("/events", json={"name": "visit", "data": {}, "anonymous_id": "anon-2"}))
    [invite] = events_of(api, customer="5")
    assert invite["details"]["name"] == "invite"
    refs = sorted(str(e["customer_ref"]) for e in events_of(api) if e["profile_id"] is None)
    assert refs == ["None", "anonymous_id:anon-2"]
    # Seed 004: "If set as an attribute on a person, any events bearing the same
    # anonymous value are associated with this person."
    assert_ok(put(track, "6", anonymous_id="anon-2"))
    [visit] = events_of(api, customer="6")
    assert visit["details"]["anonymous_id"] == "anon-2"


def test_bad_events_answer_400_in_the_vendors_shape(track: httpx.Client) -> None:
    assert_ok(put(track, "5"))
    cases: list[tuple[dict[str, Any], str]] = [
        ({"data": {}}, "name"),
        ({"name": "x", "data": [1]}, "data"),
        ({"name": "x", "timestamp": "yesterday"}, "timestamp"),
        ({"name": "x", "timestamp": True}, "timestamp"),
        ({"name": "x", "colour": 1}, "colour"),
        ({"name": "x", "type": "click"}, "type"),
        ({"name": "x" * 256}, "name"),
    ]
    for body, mentions in cases:
        assert_error(track.post("/customers/5/events", json=body), 400, mentions)
    assert_error(track.post("/events", json={"name": "x", "anonymous_id": 1.5}), 400)


def test_add_device_then_update_then_delete(track: httpx.Client, api: httpx.Client) -> None:
    assert_ok(put(track, "5"))
    # cio.add_device("5", "tok-1", "ios", last_used=1700000000)
    body = {"device": {"last_used": 1700000000, "id": "tok-1", "platform": "ios"}}
    assert_ok(track.put("/customers/5/devices", json=body))
    # cio.add_device("5", "tok-1", "ios", attributes={"app_version": "2.0"})
    again = {"device": {"attributes": {"app_version": "2.0"}, "id": "tok-1", "platform": "ios"}}
    assert_ok(track.put("/customers/5/devices", json=again))
    found = person(api, "5")
    assert found is not None
    [device] = found["devices"]
    assert (device["id"], device["platform"], device["attributes"]) == (
        "tok-1",
        "ios",
        {"app_version": "2.0"},
    )
    # cio.delete_device("5", "tok-1"): a DELETE with a {} body
    assert_ok(track.request("DELETE", "/customers/5/devices/tok-1", json={}))
    assert_ok(track.request("DELETE", "/customers/5/devices/tok-1", json={}))  # gone: still 200
    found = person(api, "5")
    assert found is not None
    assert found["devices"] == []


def test_add_device_to_a_new_person_adds_them(track: httpx.Client, api: httpx.Client) -> None:
    body = {"device": {"id": "tok-1", "platform": "android"}}
    assert_ok(track.put("/customers/7/devices", json=body))
    found = person(api, "7")
    assert found is not None
    assert [device["id"] for device in found["devices"]] == ["tok-1"]


def test_bad_devices_answer_400_in_the_vendors_shape(track: httpx.Client) -> None:
    assert_ok(put(track, "5"))
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "device"),
        ({"device": "tok"}, "device"),
        ({"device": {"platform": "ios"}}, "device.id"),
        ({"device": {"id": "t"}}, "device.platform"),
        ({"device": {"id": "t", "platform": "windows"}}, "device.platform: platform is one of"),
        ({"device": {"id": "t" * 1001, "platform": "ios"}}, "device.id: a device id holds"),
        ({"device": {"id": "t", "platform": "ios", "last_used": "now"}}, "device.last_used"),
        ({"device": {"id": "t", "platform": "ios", "colour": 1}}, "device.colour"),
    ]
    for body, mentions in cases:
        assert_error(track.put("/customers/5/devices", json=body), 400, mentions)


def test_deleting_the_person_removes_devices_and_events(
    track: httpx.Client, api: httpx.Client
) -> None:
    assert_ok(put(track, "5"))
    assert_ok(track.post("/customers/5/events", json={"name": "x", "data": {}}))
    assert_ok(track.put("/customers/5/devices", json={"device": {"id": "t", "platform": "ios"}}))
    assert_ok(track.delete("/customers/5"))
    assert events_of(api) == []
    assert_ok(put(track, "5"))
    found = person(api, "5")
    assert found is not None
    assert found["devices"] == []
