"""Key guessing: a client address that presented too many unknown keys gets 429.

Every test sends from its own loopback address (127.0.0.N), so each has its own
budget on the one server of the module.
"""

import itertools
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from attrium.core.ratelimit import Bucket, Limit, configured_limits
from attrium.core.settings import Settings
from tests.support.backends import LiveBackend, start_backend
from tests.support.problems import assert_problem
from tests.support.workspaces import TestWorkspace, new_workspace
from tests.ui.forms import sign_in

BURST = 3
WRONG_KEY = "atr_not-a-real-key"
_addresses = (f"127.0.0.{number}" for number in itertools.count(2))


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBackend]:
    folder = Path(tmp_path_factory.mktemp("guarded"))
    # A slow refill, so that no failure comes back within a test.
    live = start_backend("sqlite", folder, auth_failures_per_second=0.01, auth_failures_burst=BURST)
    yield live
    live.stop()


@pytest.fixture
def workspace_of(guarded: LiveBackend) -> TestWorkspace:
    return new_workspace(guarded)


def client_from(
    address: str, backend: LiveBackend, token: str | None = None, **options: object
) -> httpx.Client:
    """A client whose connections come from `address`."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(
        base_url=backend.base_url, transport=transport, headers=headers, timeout=30, **options
    )


def test_after_the_burst_of_wrong_keys_every_key_is_429_from_that_address(
    guarded: LiveBackend, workspace_of: TestWorkspace
) -> None:
    address = next(_addresses)
    with client_from(address, guarded, WRONG_KEY) as guesser:
        wrong = [guesser.get("/v1/workspace") for _ in range(BURST)]
        refused = guesser.get("/v1/workspace")
    assert [answer.status_code for answer in wrong] == [401] * BURST
    assert_problem(refused, 429)
    assert int(refused.headers["Retry-After"]) >= 1
    with client_from(address, guarded, workspace_of.token) as same_address:
        assert_problem(same_address.get("/v1/workspace"), 429)
    with client_from(next(_addresses), guarded, workspace_of.token) as elsewhere:
        assert elsewhere.get("/v1/workspace").status_code == 200


def test_right_keys_spend_nothing_of_the_budget(
    guarded: LiveBackend, workspace_of: TestWorkspace
) -> None:
    address = next(_addresses)
    with client_from(address, guarded, workspace_of.token) as right:
        assert {right.get("/v1/workspace").status_code for _ in range(BURST * 3)} == {200}
    with client_from(address, guarded, WRONG_KEY) as guesser:
        statuses = [guesser.get("/v1/workspace").status_code for _ in range(BURST + 1)]
    assert statuses == [401] * BURST + [429]


def test_a_missing_key_is_not_a_guess(guarded: LiveBackend) -> None:
    with client_from(next(_addresses), guarded) as anonymous:
        statuses = {anonymous.get("/v1/workspace").status_code for _ in range(BURST * 2)}
    assert statuses == {401}


def test_lean_routes_and_dialect_basic_auth_share_the_budget(
    guarded: LiveBackend, workspace_of: TestWorkspace
) -> None:
    address = next(_addresses)
    site_id = workspace_of.workspace.workspace_id
    with client_from(address, guarded, WRONG_KEY) as guesser:
        lean = guesser.put("/v1/customers/c1", json={"attributes": {}})
    track = "/compat/customerio/api/v1/customers/c1"
    with client_from(address, guarded, auth=(site_id, WRONG_KEY)) as basic:
        wrong = [basic.put(track, json={}) for _ in range(BURST - 1)]
        refused = basic.put(track, json={})
    assert [answer.status_code for answer in [lean, *wrong]] == [401] * BURST
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1


def test_the_ui_sign_in_counts_wrong_keys(
    guarded: LiveBackend, workspace_of: TestWorkspace
) -> None:
    with client_from(next(_addresses), guarded) as browser:
        answers = [sign_in(browser, WRONG_KEY) for _ in range(BURST)]
        refused = sign_in(browser, workspace_of.token)
    assert [answer.status_code for answer in answers] == [401] * BURST
    assert refused.status_code == 429
    assert "Too many unknown keys" in refused.text
    assert int(refused.headers["Retry-After"]) >= 1


def test_the_budget_is_on_by_default_at_20_failures_refilled_1_per_second() -> None:
    limits = configured_limits(Settings(database_url="sqlite:///unused.db"))
    assert limits[Limit.AUTH_FAILURES] == Bucket(rate=1.0, burst=20)
    assert Limit.AUTH_FAILURES not in configured_limits(
        Settings(database_url="sqlite:///unused.db", auth_failures_per_second=0)
    )
