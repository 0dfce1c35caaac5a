"""Retries against a real HTTP server that answers 429 and 503 before it succeeds."""

import asyncio
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from attrium.client import (
    ApiError,
    AsyncClient,
    Client,
    RetryPolicy,
    TransportError,
    Unavailable,
    errors,
)
from attrium.client.calls import Call
from attrium.core import errors as server_errors

CUSTOMER = (
    b'{"id": "c1", "profile_id": "01J00000000000000000000000", "email": null, "phone": null,'
    b' "anonymous_id": null, "custom_identifiers": {}, "attributes": {},'
    b' "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}'
)


class FlakyServer(ThreadingHTTPServer):
    def __init__(self, answers: list[tuple[int, dict[str, str]]], stall: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), FlakyHandler)
        self.answers = answers
        self.stall = stall
        self.requests: list[str] = []

    def seen(self, count: int) -> list[str]:
        """The requests received, once `count` have arrived (or after a bound).

        A client that timed out does not wait for the server's handler thread, which a
        busy machine may run later; the bound only keeps a broken test from hanging.
        """
        deadline = time.monotonic() + 10
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.requests

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up waiting closed the connection: expected, not news."""


class FlakyHandler(BaseHTTPRequestHandler):
    server: FlakyServer

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self._answer()

    def _answer(self) -> None:
        self.server.requests.append(self.command)
        time.sleep(self.server.stall)
        status, headers = self.server.answers.pop(0) if self.server.answers else (200, {})
        body = (
            CUSTOMER
            if status == 200
            else b'{"type": "/problems/unavailable", "title": "x", "status": 503, "detail": "busy"}'
        )
        self.send_response(status)
        for name, value in {"content-type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        return


def serve(answers: list[tuple[int, dict[str, str]]], stall: float = 0.0) -> Iterator[FlakyServer]:
    server = FlakyServer(answers, stall)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


FAST = RetryPolicy(retries=3, backoff=0.01)


def test_429_and_503_are_retried_honouring_retry_after() -> None:
    for server in serve([(429, {"Retry-After": "0"}), (503, {})]):
        url = f"http://127.0.0.1:{server.server_port}"
        with Client(url, "atr_x", retry=FAST) as attrium:
            assert attrium.get_customer("c1").id == "c1"
        assert server.requests == ["GET", "GET", "GET"]


def test_retries_give_up_with_the_last_problem() -> None:
    for server in serve([(503, {})] * 5):
        url = f"http://127.0.0.1:{server.server_port}"
        with Client(url, "atr_x", retry=FAST) as attrium, pytest.raises(Unavailable) as failed:
            attrium.get_customer("c1")
        assert failed.value.detail == "busy"
        assert len(server.requests) == 4


def test_a_post_without_idempotency_key_is_not_repeated_after_a_5xx() -> None:
    for server in serve([(503, {})]):
        url = f"http://127.0.0.1:{server.server_port}"
        with Client(url, "atr_x", retry=FAST) as attrium, pytest.raises(Unavailable):
            attrium.send(Call("POST", "/v1/attributes", lambda r: r, json={"name": "a"}))
        assert server.requests == ["POST"]


def test_the_async_client_retries_the_same_way() -> None:
    async def fetch(url: str, retry: RetryPolicy) -> str | None:
        async with AsyncClient(url, "atr_x", retry=retry) as attrium:
            return (await attrium.get_customer("c1")).id

    for server in serve([(429, {"Retry-After": "0"}), (503, {})]):
        url = f"http://127.0.0.1:{server.server_port}"
        assert asyncio.run(fetch(url, FAST)) == "c1"
        assert server.requests == ["GET", "GET", "GET"]
    for server in serve([(429, {"Retry-After": "0"})] * 3):
        url = f"http://127.0.0.1:{server.server_port}"
        with pytest.raises(ApiError) as refused:
            asyncio.run(fetch(url, RetryPolicy(retries=1, backoff=0.01)))
        assert refused.value.status == 429
        assert len(server.requests) == 2


def test_a_server_that_does_not_answer_in_time_is_a_transport_error() -> None:
    for server in serve([], stall=2.0):
        url = f"http://127.0.0.1:{server.server_port}"
        retry_once = RetryPolicy(retries=1, backoff=0.01)
        with Client(url, "atr_x", timeout=0.2, retry=retry_once) as attrium:
            with pytest.raises(TransportError):
                attrium.get_customer("c1")
            with pytest.raises(TransportError):
                attrium.send(Call("POST", "/v1/attributes", lambda r: r, json={"name": "a"}))
        assert server.seen(3) == ["GET", "GET", "POST"]


def test_an_unreachable_server_is_a_transport_error() -> None:
    with (
        Client("http://127.0.0.1:9", "atr_x", retry=FAST) as attrium,
        pytest.raises(TransportError),
    ):
        attrium.get_customer("c1")


def test_every_server_problem_type_has_an_exception_class() -> None:
    def slugs(base: type[server_errors.AttriumError]) -> set[str]:
        found = {base.slug}
        for child in base.__subclasses__():
            found |= slugs(child)
        return found

    assert slugs(server_errors.AttriumError) <= set(errors.ERROR_CLASSES)
