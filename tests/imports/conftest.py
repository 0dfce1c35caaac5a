"""Fixtures shared by the import tests."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.backends import BACKEND_NAMES, LiveBackend, start_backend


@pytest.fixture(params=BACKEND_NAMES)
def idle_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveBackend]:
    """A server that queues imports but runs none: the test runs the job (plays the runners)."""
    live = start_backend(request.param, tmp_path, import_runner=False, database_pool_size=4)
    yield live
    live.stop()
