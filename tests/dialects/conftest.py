"""Fixtures for the dialects: an HTTPS listener for SDKs that insist on HTTPS."""

from collections.abc import Iterator

import pytest

from tests.support.backends import LiveBackend
from tests.support.tls import TlsListener, tls_listener


@pytest.fixture(scope="session")
def https(backend: LiveBackend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsListener]:
    folder = tmp_path_factory.mktemp(f"tls-{backend.name}")
    with tls_listener(backend, folder, dialects=("customerio",)) as listener:
        yield listener
