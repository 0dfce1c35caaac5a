"""Fixtures for the dialects: an HTTPS listener for SDKs that insist on HTTPS, and
Attentive's client."""

from collections.abc import Iterator

import httpx
import pytest

from tests.support.backends import LiveBackend
from tests.support.tls import TlsListener, tls_listener
from tests.support.workspaces import TestWorkspace


@pytest.fixture(scope="session")
def https(backend: LiveBackend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsListener]:
    folder = tmp_path_factory.mktemp(f"tls-{backend.name}")
    with tls_listener(backend, folder, dialects=("customerio",)) as listener:
        yield listener


@pytest.fixture
def attentive(workspace: TestWorkspace) -> Iterator[httpx.Client]:
    """A client sending what Attentive's own samples send: a bearer token and JSON."""
    with workspace.client() as client:
        yield client
