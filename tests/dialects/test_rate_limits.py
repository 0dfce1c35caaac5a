"""Each dialect's rate limit and its 429 in the vendor's shape, on both backends.

Attentive and Optimove document per-key rates of their own, so their dialects draw from
buckets of their own; Invisible Collector and Customer.io keys share the native bucket.
The limits are made tiny here (the shared test servers turn them off).
"""

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from attrium.core.ratelimit import (
    Bucket,
    Decision,
    Limit,
    LocalBuckets,
    RateLimiter,
    configured_limits,
)
from attrium.core.settings import Settings
from tests.support.backends import BACKEND_NAMES, LiveBackend, start_backend
from tests.support.workspaces import TestWorkspace, new_workspace

NATIVE_BURST = 4
ATTENTIVE_BURST = 3
OPTIMOVE_BURST = 2
SLOW = 0.2  # tokens per second: no token comes back while a test runs its burst

ATTENTIVE_V1 = "/compat/attentive/v1/attributes/custom"
OPTIMOVE_LIST = "/compat/optimove/current/customers/GetCustomerAttributeList"
CUSTOMERIO_PERSON = "/compat/customerio/api/v1/customers/rate-probe"
IC_CUSTOMER = "/compat/invisible-collector/v1/customers/nobody"

Send = Callable[[httpx.Client, TestWorkspace], httpx.Response]


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def limited(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveBackend]:
    folder = Path(tmp_path_factory.mktemp(f"dialect-limits-{request.param}"))
    live = start_backend(
        request.param,
        folder,
        rate_limit_per_second=SLOW,
        rate_limit_burst=NATIVE_BURST,
        attentive_rate_limit_per_second=SLOW,
        attentive_rate_limit_burst=ATTENTIVE_BURST,
        optimove_rate_limit_per_second=SLOW,
        optimove_rate_limit_burst=OPTIMOVE_BURST,
    )
    yield live
    live.stop()


@pytest.fixture
def workspace_of(limited: LiveBackend) -> TestWorkspace:
    return new_workspace(limited)


@pytest.fixture
def http(limited: LiveBackend) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=limited.base_url, timeout=30) as client:
        yield client


# Requests as each vendor's samples send them


def attentive(client: httpx.Client, workspace: TestWorkspace) -> httpx.Response:
    return client.post(
        ATTENTIVE_V1,
        headers={"Authorization": f"Bearer {workspace.token}"},
        json={"properties": {"favorite team": "Minnesota Vikings"}, "user": {"email": "a@b.co"}},
    )


def optimove(client: httpx.Client, workspace: TestWorkspace) -> httpx.Response:
    return client.get(OPTIMOVE_LIST, headers={"X-API-KEY": workspace.token})


def customerio(client: httpx.Client, workspace: TestWorkspace) -> httpx.Response:
    auth = (workspace.workspace.workspace_id, workspace.token)
    return client.put(CUSTOMERIO_PERSON, json={"plan": "basic"}, auth=auth)


def invisible_collector(client: httpx.Client, workspace: TestWorkspace) -> httpx.Response:
    return client.get(IC_CUSTOMER, headers={"Authorization": f"Bearer {workspace.token}"})


def native(client: httpx.Client, workspace: TestWorkspace) -> httpx.Response:
    return client.get("/v1/workspace", headers={"Authorization": f"Bearer {workspace.token}"})


def burst_then_refusal(
    send: Send, client: httpx.Client, workspace: TestWorkspace, burst: int
) -> tuple[list[httpx.Response], httpx.Response]:
    answers = [send(client, workspace) for _ in range(burst)]
    assert all(answer.status_code < 429 for answer in answers), [a.text for a in answers]
    return answers, send(client, workspace)


def assert_retry_after(refused: httpx.Response) -> None:
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["Retry-After"]) >= 1


# The vendors' 429s


def test_attentive_429_with_x_ratelimit_headers(
    http: httpx.Client, workspace_of: TestWorkspace
) -> None:
    answers, refused = burst_then_refusal(attentive, http, workspace_of, ATTENTIVE_BURST)
    assert [int(answer.headers["x-ratelimit-remaining"]) for answer in answers] == [2, 1, 0]
    assert_retry_after(refused)
    assert refused.headers["x-ratelimit-limit"] == str(ATTENTIVE_BURST)
    assert refused.headers["x-ratelimit-remaining"] == "0"
    body = refused.json()
    assert body["status"] == 429
    assert body["message"]


def test_optimove_429_body(http: httpx.Client, workspace_of: TestWorkspace) -> None:
    _, refused = burst_then_refusal(optimove, http, workspace_of, OPTIMOVE_BURST)
    assert_retry_after(refused)
    body = refused.json()
    assert body["status"] == 429
    assert body["error"] == "Too Many Requests"
    assert body["message"]
    assert set(body) == {"status", "error", "message"}


def test_customerio_429_body(http: httpx.Client, workspace_of: TestWorkspace) -> None:
    _, refused = burst_then_refusal(customerio, http, workspace_of, NATIVE_BURST)
    assert_retry_after(refused)
    assert set(refused.json()) == {"meta"}
    assert refused.json()["meta"]["error"]


def test_invisible_collector_429_body(http: httpx.Client, workspace_of: TestWorkspace) -> None:
    _, refused = burst_then_refusal(invisible_collector, http, workspace_of, NATIVE_BURST)
    assert_retry_after(refused)
    body = refused.json()
    assert body["code"] == 429
    assert body["message"]
    assert set(body) == {"code", "message"}


# Whose bucket a key is charged to


@pytest.mark.parametrize(
    ("send", "burst"), [(attentive, ATTENTIVE_BURST), (optimove, OPTIMOVE_BURST)]
)
def test_attentive_and_optimove_keys_have_buckets_of_their_own(
    http: httpx.Client, workspace_of: TestWorkspace, send: Send, burst: int
) -> None:
    _, refused = burst_then_refusal(native, http, workspace_of, NATIVE_BURST)
    assert refused.status_code == 429
    _, refused = burst_then_refusal(send, http, workspace_of, burst)
    assert refused.status_code == 429
    assert invisible_collector(http, workspace_of).status_code == 429


@pytest.mark.parametrize("send", [customerio, invisible_collector])
def test_customerio_and_invisible_collector_share_the_native_bucket(
    http: httpx.Client, workspace_of: TestWorkspace, send: Send
) -> None:
    for _ in range(NATIVE_BURST - 1):
        assert native(http, workspace_of).status_code == 200
    assert send(http, workspace_of).status_code < 429
    assert_retry_after(send(http, workspace_of))
    assert attentive(http, workspace_of).status_code == 200  # its own bucket is still full


# The documented defaults, and turning one limit off


def test_vendor_defaults_follow_the_vendors() -> None:
    limits = configured_limits(Settings())
    assert limits[Limit.ATTENTIVE] == Bucket(rate=150, burst=150)  # 150 requests/s per key
    optimove = limits[Limit.OPTIMOVE]
    assert (optimove.burst, optimove.rate * 10) == (50, 50)  # 50 requests per 10 s per key


def test_a_dialect_limit_of_zero_is_off_while_the_others_apply() -> None:
    settings = Settings(attentive_rate_limit_per_second=0)
    limiter = RateLimiter(LocalBuckets(), configured_limits(settings))

    async def scenario() -> list[Decision | None]:
        dialect_limits = (Limit.NATIVE, Limit.ATTENTIVE, Limit.OPTIMOVE)
        return [await limiter.take("k", limit) for limit in dialect_limits]

    native_decision, attentive_decision, optimove_decision = asyncio.run(scenario())
    assert attentive_decision is None
    assert native_decision is not None
    assert native_decision.allowed
    assert optimove_decision is not None
    assert optimove_decision.limit == 50
