"""Optimove's CallbackURL: the outcome is POSTed there, only to addresses a setting allows."""

import json
import queue
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.backends import BACKEND_NAMES, LiveBackend, start_backend
from tests.support.workspaces import TestWorkspace, new_workspace

PREFIX = "/compat/optimove"
DELIVERY_WAIT_SECONDS = 30  # a bound on waiting, not a measured claim


class Receiver:
    """A local HTTP server that keeps every JSON body POSTed to it."""

    def __init__(self) -> None:
        self.bodies: queue.Queue[Any] = queue.Queue()
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                received.put(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/optimove-callback"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next_body(self) -> Any:
        return self.bodies.get(timeout=DELIVERY_WAIT_SECONDS)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.stop()


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def loopback_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveBackend]:
    """A server whose settings allow callbacks to 127.0.0.1 (denied by default)."""
    folder = Path(tmp_path_factory.mktemp(f"callbacks-{request.param}"))
    live = start_backend(request.param, folder, outbound_allowed_networks=["127.0.0.1/32"])
    yield live
    live.stop()


def optimove_client(workspace: TestWorkspace) -> httpx.Client:
    return httpx.Client(
        base_url=workspace.backend.base_url + PREFIX,
        headers={"X-API-KEY": workspace.token},
        timeout=30,
    )


def test_loopback_callbacks_are_refused_by_default(
    workspace: TestWorkspace, receiver: Receiver
) -> None:
    with optimove_client(workspace) as optimove:
        response = optimove.post(
            "/Customers/AddCustomerAttribute",
            json={"Name": "Tier", "Type": "INT", "CallbackURL": receiver.url},
        )
        assert response.status_code == 400, response.text
        assert "CallbackURL" in response.json()["message"] or "127.0.0.1" in response.text
        listed = optimove.get("/Customers/GetCustomerAttributeList").json()
    assert listed == []
    assert receiver.bodies.empty()


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "http://user:secret@example.com/x", "not a url"]
)
def test_callbacks_are_http_urls_without_credentials(workspace: TestWorkspace, url: str) -> None:
    with optimove_client(workspace) as optimove:
        response = optimove.put(
            "/Customers/UpsertCustomer", json={"CustomerId": "c1", "CallbackUrl": url}
        )
    assert response.status_code == 400, response.text


def test_outcomes_are_posted_to_an_allowed_callback(
    loopback_backend: LiveBackend, receiver: Receiver
) -> None:
    workspace = new_workspace(loopback_backend)
    with optimove_client(workspace) as optimove:
        added = optimove.post(
            "/Customers/AddCustomerAttribute",
            json={"Name": "Tier", "Type": "VARCHAR(6)", "CallbackURL": receiver.url},
        ).json()
        assert receiver.next_body() == added == {"attributeName": "Tier", "isSuccess": True}
        upserted = optimove.put(
            "/Customers/UpsertCustomer",
            json={
                "CustomerId": "c1",
                "Attributes": [{"RealFieldName": "Tier", "Value": "Gold"}],
                "CallbackUrl": receiver.url,
            },
        ).json()
        assert receiver.next_body() == upserted
        updated = optimove.post(
            "/Customers/UpdateCustomerAttributes",
            json={
                "CustomerNewAttributesValuesList": [
                    {
                        "CustomerID": "c1",
                        "Attributes": [{"RealFieldName": "Tier", "Value": "Platinum"}],
                    }
                ],
                "CallbackURL": receiver.url,
            },
        ).json()
    delivered = receiver.next_body()
    assert delivered == updated
    assert delivered["isSuccess"] is False
    assert delivered["errors"][0]["error"] == "INVALID_VALUE"
