"""A fresh workspace per test, with keys and clients."""

import itertools
import os
from dataclasses import dataclass

import httpx

from attrium.auth import service as keys
from attrium.auth.actor import Actor
from attrium.workspaces import service as workspaces
from attrium.workspaces.service import Workspace
from tests.support.backends import LiveBackend

_counter = itertools.count()


@dataclass
class TestWorkspace:
    backend: LiveBackend
    workspace: Workspace
    token: str
    actor: Actor

    __test__ = False  # not a test class, despite its name

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return httpx.Client(base_url=self.backend.base_url, headers=headers, timeout=30)

    def key(self, scopes: list[str]) -> str:
        """A token for a new key of this workspace with exactly these scopes."""
        _, token = self.backend.run(keys.create_key(self.backend.db, self.workspace, scopes))
        return token


def new_workspace(backend: LiveBackend) -> TestWorkspace:
    name = f"test-{os.getpid()}-{next(_counter)}"
    workspace = backend.run(workspaces.create(backend.db, name))
    _, token = backend.run(keys.create_key(backend.db, workspace, label="test admin"))
    actor = backend.run(keys.authenticate(backend.db, token))
    return TestWorkspace(backend, workspace, token, actor)
