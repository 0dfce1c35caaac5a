"""The official `customerio` Python client, unmodified, against Attrium.

Only its host, port and credentials change, and its URL prefix where it must: every
test runs with the client pointed at the dialect's prefix, with its default prefix
(`/api/v1`) at the root of the main port, and with its default prefix at the root of
a port given to the dialect (`attrium serve --dialect-port customerio=PORT`). It
speaks HTTPS only, so it talks to an HTTPS listener whose test CA it is told to trust
the standard way (`REQUESTS_CA_BUNDLE`).
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from customerio import CustomerIO, CustomerIOException

from tests.support.tls import TlsListener
from tests.support.workspaces import TestWorkspace

PREFIX = "/compat/customerio/api/v1"


def where(https: TlsListener, served_at: str) -> dict[str, Any]:
    """The client's host, port and URL prefix for each place the dialect answers."""
    if served_at == "prefix":
        return {"host": https.host, "port": https.port, "url_prefix": PREFIX}
    if served_at == "root":  # the client's own default prefix, /api/v1
        return {"host": https.host, "port": https.port}
    return {"host": https.host, "port": https.dialect_ports["customerio"]}


@pytest.fixture(params=["prefix", "root", "dialect port"])
def cio(
    request: pytest.FixtureRequest,
    https: TlsListener,
    workspace: TestWorkspace,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[CustomerIO]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(https.ca_bundle))
    client = CustomerIO(
        site_id=workspace.workspace.workspace_id,
        api_key=workspace.token,
        **where(https, request.param),
    )
    with client:
        yield client


def test_identify_creates_and_updates_with_converted_datetimes(
    cio: CustomerIO, api: httpx.Client
) -> None:
    signed_up = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    answer = cio.identify(id="5", email="customer@example.com", name="Bob", created_at=signed_up)
    assert answer.status_code == 200
    assert answer.json() == {}
    cio.identify(id="5", plan="premium")
    customer = api.get("/v1/customers/5").json()
    assert customer["email"] == "customer@example.com"
    assert customer["attributes"] == {
        "name": "Bob",
        "created_at": int(signed_up.timestamp()),
        "plan": "premium",
    }


def test_identify_url_encodes_email_identifiers(cio: CustomerIO, api: httpx.Client) -> None:
    cio.identify(id="Ada+1@Example.com", plan="gold")
    customer = api.get("/v1/customers/email:ada+1@example.com").json()
    assert customer["attributes"] == {"plan": "gold"}


def test_errors_reach_the_client_as_its_exception(cio: CustomerIO) -> None:
    cio.identify(id="5", age=30)
    with pytest.raises(CustomerIOException, match="400"):
        cio.identify(id="5", age="old")


def test_delete(cio: CustomerIO, api: httpx.Client) -> None:
    cio.identify(id="5", plan="a")
    cio.delete(customer_id="5")
    assert api.get("/v1/customers/5").status_code == 404


def test_wrong_credentials_are_refused(
    https: TlsListener, workspace: TestWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(https.ca_bundle))
    client = CustomerIO(
        site_id="not-this-workspace",
        api_key=workspace.token,
        **where(https, "dialect port"),
    )
    with client, pytest.raises(CustomerIOException, match="401"):
        client.identify(id="5", plan="a")


def test_suppress_and_unsuppress(cio: CustomerIO, api: httpx.Client) -> None:
    cio.identify(id="5", plan="a")
    cio.suppress(customer_id="5")
    cio.identify(id="5", plan="b")
    assert api.get("/v1/customers/5").status_code == 404
    cio.unsuppress(customer_id="5")
    cio.identify(id="5", plan="c")
    assert api.get("/v1/customers/5").json()["attributes"] == {"plan": "c"}


def test_merge_customers(cio: CustomerIO, api: httpx.Client) -> None:
    cio.identify(id="5", plan="gold")
    cio.identify(id="6", plan="basic", age=40)
    cio.merge_customers(
        primary_id_type="id", primary_id="5", secondary_id_type="id", secondary_id="6"
    )
    assert api.get("/v1/customers/5").json()["attributes"] == {"plan": "gold", "age": 40}
    assert api.get("/v1/customers/6").status_code == 404


def test_an_id_with_a_slash_reaches_its_customer(cio: CustomerIO, api: httpx.Client) -> None:
    cio.identify(id="shop/42", plan="gold")  # the client sends it as shop%2F42
    assert api.get("/v1/customers/shop%2F42").json()["attributes"] == {"plan": "gold"}
    cio.delete(customer_id="shop/42")
    assert api.get("/v1/customers/shop%2F42").status_code == 404


def test_track_backfill_and_pageview_become_events(cio: CustomerIO, api: httpx.Client) -> None:
    cio.identify(id="5", plan="gold")
    cio.track(customer_id="5", name="purchase", data={"price": 23.45})
    happened = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    cio.track(customer_id="5", name="signup", id="01HF0000000000000000000000", timestamp=happened)
    cio.backfill(customer_id="5", name="renewal", timestamp=1600000000, plan="gold")
    cio.pageview(customer_id="5", page="/pricing", referer="/")
    items = api.get("/v1/activity", params={"type": "event", "customer": "5"}).json()["items"]
    by_name = {item["details"]["name"]: item for item in items}
    assert by_name["purchase"]["details"]["data"] == {"price": 23.45}
    assert by_name["signup"]["created_at"] == "2023-11-14T22:13:20Z"
    assert by_name["renewal"]["details"]["data"] == {"plan": "gold"}
    assert by_name["/pricing"]["details"]["type"] == "page"


def test_track_anonymous(cio: CustomerIO, api: httpx.Client) -> None:
    cio.identify(id="5", anonymous_id="anon-1")
    cio.track_anonymous(anonymous_id="anon-1", name="invite", data={"to": "f@example.com"})
    cio.track_anonymous(anonymous_id="", name="visit")
    [invite] = api.get("/v1/activity", params={"event": "invite", "customer": "5"}).json()["items"]
    assert invite["details"]["data"] == {"to": "f@example.com"}
    [visit] = api.get("/v1/activity", params={"event": "visit"}).json()["items"]
    assert visit["profile_id"] is None


def test_add_and_delete_device(cio: CustomerIO, api: httpx.Client) -> None:
    cio.identify(id="5", plan="gold")
    cio.add_device(customer_id="5", device_id="tok-1", platform="ios", last_used=1700000000)
    [device] = api.get("/v1/customers/5").json()["devices"]
    assert (device["id"], device["platform"], device["last_used"]) == (
        "tok-1",
        "ios",
        "2023-11-14T22:13:20Z",
    )
    cio.delete_device(customer_id="5", device_id="tok-1")
    assert api.get("/v1/customers/5").json()["devices"] == []
    with pytest.raises(CustomerIOException, match="400"):
        cio.add_device(customer_id="5", device_id="tok-2", platform="windows")
