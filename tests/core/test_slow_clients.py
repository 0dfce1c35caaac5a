"""A client that stops sending its head or body gets 408 instead of holding a connection."""

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.backends import LiveBackend, start_backend
from tests.support.workspaces import new_workspace

TIMEOUT_SECONDS = 0.5
HEAD_TIMEOUT_SECONDS = 1.0


@pytest.fixture(scope="module")
def impatient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBackend]:
    folder = Path(tmp_path_factory.mktemp("impatient"))
    live = start_backend(
        "sqlite",
        folder,
        body_timeout_seconds=TIMEOUT_SECONDS,
        head_timeout_seconds=HEAD_TIMEOUT_SECONDS,
    )
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


def _answer_to_head(live: LiveBackend, parts: list[bytes], pause: float) -> tuple[str, float]:
    """Send `parts` of a request head `pause` seconds apart; the answer and how long it took."""
    address = urlsplit(live.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        started = time.monotonic()
        for part in parts:
            connection.sendall(part)
            time.sleep(pause)
        answer = connection.recv(65536).decode()
        return answer, time.monotonic() - started


def test_a_stalled_head_is_answered_408_and_closed(impatient: LiveBackend) -> None:
    answer, waited = _answer_to_head(impatient, [b"GET /healthz HTTP/1.1\r\nHost: x\r\n"], 0)
    assert answer.startswith("HTTP/1.1 408"), answer
    assert "application/problem+json" in answer
    assert "Connection: close" in answer
    assert "the request headers did not arrive within 1 s" in answer
    assert waited >= HEAD_TIMEOUT_SECONDS * 0.9


def test_a_silent_connection_is_closed(impatient: LiveBackend) -> None:
    answer, waited = _answer_to_head(impatient, [], 0)
    assert answer.startswith("HTTP/1.1 408"), answer
    assert waited >= HEAD_TIMEOUT_SECONDS * 0.9


def test_a_head_sent_in_pieces_within_the_deadline_is_served(impatient: LiveBackend) -> None:
    pieces = [b"GET /hea", b"lthz HTTP/1.1\r\n", b"Host: x\r\nConnection: close\r\n\r\n"]
    answer, _ = _answer_to_head(impatient, pieces, HEAD_TIMEOUT_SECONDS / 6)
    assert answer.startswith("HTTP/1.1 200"), answer


def test_an_idle_keep_alive_connection_outlives_the_head_deadline(impatient: LiveBackend) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    address = urlsplit(impatient.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(request)
        time.sleep(HEAD_TIMEOUT_SECONDS * 1.5)  # idle between requests: keep-alive applies
        first = connection.recv(65536).decode()
        connection.sendall(request)
        second = connection.recv(65536).decode()
    assert first.startswith("HTTP/1.1 200"), first
    assert second.startswith("HTTP/1.1 200"), second
