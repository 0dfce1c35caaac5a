"""The examples of docs/sdk.md, run in order against the live server."""

import os
from pathlib import Path

import pytest

from tests.support.docs import code_blocks
from tests.support.workspaces import TestWorkspace


def test_the_documented_examples_run(
    workspace: TestWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTRIUM_URL", workspace.backend.base_url)
    monkeypatch.setenv("ATTRIUM_KEY", workspace.token)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    blocks = code_blocks("sdk.md", "python")
    assert len(blocks) >= 5
    for block in blocks:
        exec(compile(block, "docs/sdk.md", "exec"), namespace)
    assert os.path.exists(tmp_path / "customers.csv")
