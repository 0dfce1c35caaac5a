"""A client that stops sending its body gets 408 instead of holding a worker forever."""

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.backends import LiveBackend, start_backend
from tests.support.workspaces import new_workspace

TIMEOUT_SECONDS = 0.5


@pytest.fixture(scope="module")
def impatient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBackend]:
    folder = Path(tmp_path_factory.mktemp("impatient"))
    live = start_backend("sqlite", folder, body_timeout_seconds=TIMEOUT_SECONDS)
    yield live
    live.stop()


def test_a_stalled_body_is_answered_408(impatient: LiveBackend) -> None:
    token = new_workspace(impatient).token
    address = urlsplit(impatient.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        head = (
            "PUT /v1/customers/slow HTTP/1.1\r\n"
            f"Host: {address.netloc}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        )
        connection.sendall(head.encode() + b'{"attributes": ')
        started = time.monotonic()
        answer = connection.recv(65536).decode()
        waited = time.monotonic() - started
    assert answer.startswith("HTTP/1.1 408"), answer
    assert "application/problem+json" in answer
    assert waited >= TIMEOUT_SECONDS * 0.9


def test_a_body_that_keeps_coming_is_served(impatient: LiveBackend) -> None:
    token = new_workspace(impatient).token
    address = urlsplit(impatient.base_url)
    body = b'{"attributes": {"plan": "pro"}}'
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        head = (
            "PUT /v1/customers/steady HTTP/1.1\r\n"
            f"Host: {address.netloc}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        connection.sendall(head.encode())
        for part in (body[:10], body[10:20], body[20:]):
            time.sleep(TIMEOUT_SECONDS / 3)
            connection.sendall(part)
        answer = connection.recv(65536).decode()
    assert answer.startswith("HTTP/1.1 201"), answer
