"""Health probes, request ids, security headers, Prometheus metrics and JSON logs."""

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from attrium.app import create_app
from attrium.core.settings import Settings
from tests.support.backends import LiveBackend
from tests.support.processes import Deployment, deployment


def test_liveness_and_readiness(backend: LiveBackend) -> None:
    assert httpx.get(f"{backend.base_url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{backend.base_url}/readyz").json() == {"status": "ready"}


def test_readiness_fails_with_503_when_the_database_is_down() -> None:
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:1/nothing")

    async def probe() -> httpx.Response:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
                return await client.get("/readyz")

    answer = asyncio.run(probe())
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"


def test_every_answer_has_a_request_id(api: httpx.Client) -> None:
    generated = api.get("/v1/workspace").headers["X-Request-ID"]
    assert len(generated) == 32
    assert (
        api.get("/v1/workspace", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"]
        == "abc-123"
    )
    unsafe = api.get("/v1/workspace", headers={"X-Request-ID": "bad id\twith spaces"})
    assert unsafe.headers["X-Request-ID"] != "bad id\twith spaces"


def test_security_headers(api: httpx.Client) -> None:
    for answer in (api.get("/v1/workspace"), api.get("/v1/customers/nobody")):
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert (
            answer.headers["Content-Security-Policy"]
            == "default-src 'none'; frame-ancestors 'none'"
        )
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
    docs = api.get("/docs")
    assert docs.headers["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_metrics_count_requests_by_route_template(api: httpx.Client) -> None:
    api.put("/v1/customers/metered", json={"attributes": {"n": 1}})
    api.patch("/v1/customers/metered/attributes", json={"n": "not a number"})
    text = api.get("/metrics").text
    assert 'route="/v1/customers/{customer_id}"' in text
    assert "metered" not in text
    assert "attrium_http_request_duration_seconds_bucket" in text
    assert 'attrium_writes_total{outcome="accepted"}' in text
    assert 'attrium_writes_total{outcome="rejected"}' in text
    assert "attrium_rate_limited_total" in text


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Deployment]:
    target = deployment("sqlite", tmp_path)
    yield target
    target.close()


def test_logs_are_json_lines_with_the_request_id(served: Deployment) -> None:
    token = served.provision()
    server = served.start()
    answer = httpx.get(
        f"{server.base_url}/v1/customers/nobody",
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "trace-42"},
    )
    assert answer.status_code == 404
    server.stop()
    lines = [line for line in server.log.read_text().splitlines() if line.startswith("{")]
    events = [json.loads(line) for line in lines]
    request = [event for event in events if event.get("request_id") == "trace-42"]
    assert request, lines[-5:]
    assert request[-1]["status"] == 404
    assert request[-1]["route"] == "/v1/customers/{customer_id}"
    assert {"timestamp", "level", "event"} <= set(request[-1])
