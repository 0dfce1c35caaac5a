"""Retries against a real HTTP server that answers 429 and 503 before it succeeds."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from attrium.client import Client, RetryPolicy, TransportError, Unavailable, errors
from attrium.client.calls import Call
from attrium.core import errors as server_errors

CUSTOMER = (
    b'{"id": "c1", "profile_id": "01J00000000000000000000000", "email": null, "phone": null,'
    b' "anonymous_id": null, "custom_identifiers": {}, "attributes": {},'
    b' "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}'
)


class FlakyServer(ThreadingHTTPServer):
    def __init__(self, answers: list[tuple[int, dict[str, str]]]) -> None:
        super().__init__(("127.0.0.1", 0), FlakyHandler)
        self.answers = answers
        self.requests: list[str] = []


class FlakyHandler(BaseHTTPRequestHandler):
    server: FlakyServer

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self._answer()

    def _answer(self) -> None:
        self.server.requests.append(self.command)
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


def serve(answers: list[tuple[int, dict[str, str]]]) -> Iterator[FlakyServer]:
    server = FlakyServer(answers)
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
