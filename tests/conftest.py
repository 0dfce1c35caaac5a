"""Test fixtures: every storage and API test runs on SQLite and on PostgreSQL.

Each backend gets one live server per test process (uvicorn in a thread, real HTTP
over loopback). Each test gets a fresh workspace, so tests never see each other's
data and need no cleanup.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.backends import BACKEND_NAMES, LiveBackend, start_backend
from tests.support.workspaces import TestWorkspace, new_workspace


def pytest_report_header() -> str:
    return f"attrium backends: {', '.join(BACKEND_NAMES)}"


@pytest.fixture(scope="session", params=BACKEND_NAMES)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveBackend]:
    live = start_backend(request.param, Path(tmp_path_factory.mktemp(request.param)))
    yield live
    live.stop()


@pytest.fixture
def workspace(backend: LiveBackend) -> TestWorkspace:
    return new_workspace(backend)


@pytest.fixture
def api(workspace: TestWorkspace) -> Iterator[httpx.Client]:
    """An HTTP client of the test's workspace, with a key holding every scope."""
    with workspace.client() as client:
        yield client


@pytest.fixture(scope="session")
def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"
