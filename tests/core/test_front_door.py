"""The front door: access log lines, rate-limit headers and errors of lean routes."""

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI
from sqlalchemy.exc import OperationalError

from attrium.app import create_app
from attrium.core import logs
from attrium.core.settings import Settings
from attrium.customers import service as customers_service
from tests.support.backends import LiveBackend
from tests.support.twins import app_of, serving_through_fastapi
from tests.support.workspaces import new_workspace

ACCESS_FIELDS = [
    "method",
    "path",
    "route",
    "status",
    "duration_ms",
    "key_id",
    "event",
    "request_id",
    "level",
    "logger",
    "timestamp",
]


class _FlushedFirst(io.StringIO):
    """A log stream whose value includes the access lines still waiting for their write."""

    def getvalue(self) -> str:
        logs.flush()
        return super().getvalue()


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """What `logs.configure()` writes, into a string; the test's logging restored after."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    library = {name: logging.getLogger(name) for name in ("uvicorn", "uvicorn.access")}
    saved_library = {name: (lg.handlers[:], lg.propagate) for name, lg in library.items()}
    logs.configure("INFO")
    stream = _FlushedFirst()
    root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
    yield stream
    root.handlers, root.level = saved
    for name, (handlers, propagate) in saved_library.items():
        library[name].handlers, library[name].propagate = handlers, propagate
    logs._stdout_handler = None
    structlog.reset_defaults()
    logs.route_through_logging()


def call(
    backend: LiveBackend, app: FastAPI, *requests: tuple[str, str, dict[str, Any]]
) -> list[httpx.Response]:
    async def send() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [
                await client.request(method, path, **options) for method, path, options in requests
            ]

    return backend.run(send())


def access_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in lines if line.get("logger") == "attrium.http"]


def only_our_handler() -> None:
    """pytest captures logs with a handler of its own, which sends access lines the
    general way; leave the handler `logs.configure()` installed alone, as in a server."""
    assert logs._stdout_handler is not None
    logging.getLogger().handlers = [logs._stdout_handler]


def test_the_access_line_has_the_fields_it_had(
    backend: LiveBackend, log_stream: io.StringIO
) -> None:
    token = new_workspace(backend).token
    headers = {"Authorization": f"Bearer {token}", "X-Request-ID": "trace-7"}
    only_our_handler()
    call(
        backend,
        app_of(backend),
        ("PATCH", "/v1/customers/nobody/attributes", {"json": {}, "headers": headers}),
    )
    fast = access_lines(log_stream)[-1]
    # The general way (structlog through logging), as every request was logged before.
    logs._stdout_handler = None
    call(
        backend,
        app_of(backend),
        ("PATCH", "/v1/customers/nobody/attributes", {"json": {}, "headers": headers}),
    )
    general = access_lines(log_stream)[-1]
    assert list(fast) == list(general) == ACCESS_FIELDS
    for line in (fast, general):
        assert line["route"] == "/v1/customers/{customer_id}/attributes"
        assert line["status"] == 404
        assert line["request_id"] == "trace-7"
        assert line["key_id"].startswith("key_")
        assert line["timestamp"].endswith("Z")
    assert {k: v for k, v in fast.items() if k not in ("timestamp", "duration_ms")} == {
        k: v for k, v in general.items() if k not in ("timestamp", "duration_ms")
    }


def test_a_non_ascii_path_is_logged_in_ascii(backend: LiveBackend, log_stream: io.StringIO) -> None:
    only_our_handler()
    call(backend, app_of(backend), ("GET", "/v1/attributes/é", {}))
    [line] = [line for line in log_stream.getvalue().splitlines() if "attrium.http" in line]
    assert line.isascii()
    assert json.loads(line)["path"] == "/v1/attributes/é"


CIO = "/compat/customerio/api/v1/customers"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/v1/customers/email:victim@example.com", "/v1/customers/email:<redacted>"),
        ("/v1/customers/victim@example.com/attributes", "/v1/customers/<redacted>/attributes"),
        ("/v1/customers/custom:vat:PT123/activity", "/v1/customers/custom:vat:<redacted>/activity"),
        (
            "/compat/customerio/api/v1/customers/ada",
            "/compat/customerio/api/v1/customers/<redacted>",
        ),
        ("/ui/customers?q=victim@example.com", "/ui/customers"),
        ("/v1/customers/profile:01J0000000000000000000000A", None),
        ("/v1/customers/batch", None),
    ],
)
def test_customer_references_are_redacted_in_the_access_log(
    backend: LiveBackend, log_stream: io.StringIO, path: str, logged: str | None
) -> None:
    """Logs outlive an erasure: no identifier of a customer goes into one."""
    only_our_handler()
    call(backend, app_of(backend), ("GET", path, {}))
    [line] = [line for line in log_stream.getvalue().splitlines() if "attrium.http" in line]
    assert "victim" not in line
    assert "PT123" not in line
    assert json.loads(line)["path"] == (logged or path)


def test_lean_routes_are_rate_limited_as_before(backend: LiveBackend) -> None:
    limited = {"rate_limit_per_second": 0.01, "rate_limit_burst": 2}
    lean, through_fastapi = (
        app_of(backend, **limited),
        serving_through_fastapi(app_of(backend, **limited)),
    )
    answers = []
    for app in (lean, through_fastapi):
        token = new_workspace(backend).token
        put = (
            "PUT",
            "/v1/customers/c1",
            {"json": {}, "headers": {"Authorization": f"Bearer {token}"}},
        )
        answers.append(call(backend, app, put, put, put))
    for lean_answer, fastapi_answer in zip(*answers, strict=True):
        assert lean_answer.status_code == fastapi_answer.status_code
        for name in (
            "retry-after",
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
        ):
            assert lean_answer.headers.get(name) == fastapi_answer.headers.get(name), name
    assert [answer.status_code for answer in answers[0]] == [201, 200, 429]
    assert answers[0][2].json()["type"] == "/problems/rate-limited"


def test_a_lean_route_answers_500_to_the_unexpected(
    backend: LiveBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(customers_service, "upsert", broken)
    token = new_workspace(backend).token
    patch = (
        "PATCH",
        "/v1/customers/c1/attributes",
        {"json": {}, "headers": {"Authorization": f"Bearer {token}"}},
    )
    [answer] = call(backend, app_of(backend), patch)
    assert answer.status_code == 500
    assert answer.json()["type"] == "/problems/internal-error"
    assert answer.headers["x-request-id"]


def test_a_lean_route_answers_503_when_the_database_is_down(
    backend: LiveBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(*_args: Any) -> Any:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))

    monkeypatch.setattr(customers_service, "upsert", down)
    token = new_workspace(backend).token
    patch = (
        "PATCH",
        "/v1/customers/c1/attributes",
        {"json": {}, "headers": {"Authorization": f"Bearer {token}"}},
    )
    [answer] = call(backend, app_of(backend), patch)
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "1"


def test_ui_pages_get_the_ui_headers_and_the_api_its_own() -> None:
    app = create_app(Settings(database_url="sqlite:///unused.db"))

    async def send() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/ui/static/nope.css"), await client.get("/healthz")

    import asyncio

    ui, api = asyncio.run(send())
    assert ui.headers["referrer-policy"] == "same-origin"
    assert "script-src 'self'" in ui.headers["content-security-policy"]
    assert ui.headers["cache-control"] == "no-store"
    assert api.headers["referrer-policy"] == "no-referrer"
    assert api.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert len(api.headers["x-request-id"]) == 32
