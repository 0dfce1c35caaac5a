"""The admin CLI contract other tooling depends on, against SQLite and PostgreSQL."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.support.backends import (
    BACKEND_NAMES,
    START_TIMEOUT_SECONDS,
    drop_schema,
    ensure_postgres,
    postgres_url,
    worker_name,
)

ATTRIUM = [sys.executable, "-m", "attrium"]


@pytest.fixture(params=BACKEND_NAMES)
def cli_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ATTRIUM_")}
    if request.param == "sqlite":
        env["ATTRIUM_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
        yield env
        return
    ensure_postgres()
    schema = f"cli_{worker_name()}_{os.getpid()}_{abs(hash(tmp_path)) % 10**8}"
    env["ATTRIUM_DATABASE_URL"] = postgres_url()
    env["ATTRIUM_DATABASE_SCHEMA"] = schema
    yield env
    drop_schema(schema)


def attrium(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ATTRIUM, *arguments], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_workspace_and_key_lifecycle(cli_env: dict[str, str]) -> None:
    assert attrium(cli_env, "migrate").returncode == 0
    assert attrium(cli_env, "migrate").returncode == 0
    created = attrium(cli_env, "workspaces", "create", "acme")
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip().startswith("ws_")
    assert len(created.stdout.strip().splitlines()) == 1
    key = attrium(
        cli_env,
        "keys",
        "create",
        "--workspace",
        "acme",
        "--scopes",
        "attributes:read,attributes:write",
        "--label",
        "ci, the nightly export job that copies customers to the warehouse",
    )
    assert key.returncode == 0, key.stderr
    token = key.stdout.strip().splitlines()[-1]
    assert token.startswith("atr_")
    listed = attrium(cli_env, "keys", "list", "--workspace", "acme")
    assert "ci" in listed.stdout
    assert token not in listed.stdout
    key_id = next(word for word in key.stderr.split() if word.startswith("key_"))
    assert attrium(cli_env, "keys", "revoke", key_id).returncode == 0
    assert "acme" in attrium(cli_env, "workspaces", "list").stdout
    narrow = cli_env | {"COLUMNS": "80"}  # rich cut ids to "…" to fit
    assert key_id in attrium(narrow, "keys", "list", "--workspace", "acme").stdout
    assert created.stdout.strip() in attrium(narrow, "workspaces", "list").stdout


def test_workspaces_and_keys_list_as_json(cli_env: dict[str, str]) -> None:
    attrium(cli_env, "migrate")
    workspace_id = attrium(cli_env, "workspaces", "create", "acme").stdout.strip()
    key = attrium(cli_env, "keys", "create", "--workspace", "acme", "--label", "ci")
    key_id = next(word for word in key.stderr.split() if word.startswith("key_"))
    assert attrium(cli_env, "keys", "revoke", key_id).returncode == 0
    workspaces = attrium(cli_env, "workspaces", "list", "--json")
    assert workspaces.returncode == 0, workspaces.stderr
    assert orjson.loads(workspaces.stdout) == [{"id": workspace_id, "name": "acme"}]
    keys = attrium(cli_env, "keys", "list", "--workspace", "acme", "--json")
    assert keys.returncode == 0, keys.stderr
    [listed] = orjson.loads(keys.stdout)
    assert (listed["id"], listed["label"]) == (key_id, "ci")
    assert "attributes:read" in listed["scopes"]
    assert listed["created_at"] <= listed["revoked_at"]
    assert key.stdout.strip().splitlines()[-1] not in keys.stdout


def test_errors_are_one_line_and_nonzero(cli_env: dict[str, str]) -> None:
    attrium(cli_env, "migrate")
    attrium(cli_env, "workspaces", "create", "acme")
    again = attrium(cli_env, "workspaces", "create", "acme")
    assert again.returncode == 1
    assert "already" in again.stderr or "exists" in again.stderr
    missing = attrium(cli_env, "keys", "create", "--workspace", "nope")
    assert missing.returncode == 1
    assert (
        attrium(cli_env, "keys", "create", "--workspace", "acme", "--scopes", "bogus").returncode
        == 1
    )


def test_an_admin_command_names_its_database(cli_env: dict[str, str]) -> None:
    migrated = attrium(cli_env, "migrate")
    assert "database: " in migrated.stderr
    assert cli_env["ATTRIUM_DATABASE_URL"].split("@")[-1] in migrated.stderr


def test_an_admin_command_makes_no_new_sqlite_file(tmp_path: Path) -> None:
    """Run from another directory, `workspaces create` would have made an empty database
    there, and printed a key the running server refuses."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ATTRIUM_")}
    env["ATTRIUM_DATABASE_URL"] = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    refused = attrium(env, "workspaces", "create", "acme")
    assert refused.returncode == 1
    assert "attrium migrate" in refused.stderr
    assert not (tmp_path / "elsewhere.db").exists()
    assert attrium(env, "workspaces", "create", "acme", "--create").returncode == 0
    assert (tmp_path / "elsewhere.db").exists()
    assert attrium(env, "workspaces", "create", "beta").returncode == 0


@pytest.mark.parametrize(
    ("url", "cause"),
    [
        ("postgresql://postgres@127.0.0.1:5432/attrium_no_such_database", "does not exist"),
        ("mysql://someone@localhost/db", "unsupported database URL"),
    ],
)
def test_a_database_that_cannot_be_used_is_one_line(url: str, cause: str) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ATTRIUM_")}
    env["ATTRIUM_DATABASE_URL"] = url
    failed = attrium(env, "migrate")
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    [error] = [line for line in failed.stderr.splitlines() if line.startswith("error:")]
    assert cause in error


def test_first_serve_creates_default_workspace_and_prints_its_key_once(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ATTRIUM_")}
    env["ATTRIUM_DATABASE_URL"] = f"sqlite:///{tmp_path / 'first.db'}"
    port = _free_port()
    workspace_names: list[str] = []
    token = _serve_and_read_token(env, port, workspace_names)
    assert token is not None
    assert token.startswith("atr_")
    assert _serve_and_read_token(env, port, workspace_names, token) is None
    assert workspace_names == ["default"]


def _serve_and_read_token(
    env: dict[str, str], port: int, names: list[str], known_token: str | None = None
) -> str | None:
    server = subprocess.Popen(
        [*ATTRIUM, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        _wait_until_up(port)
        if known_token:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                answer = client.get(
                    "/v1/workspace", headers={"Authorization": f"Bearer {known_token}"}
                )
                names.append(answer.json()["name"])
        server.terminate()
        output, _ = server.communicate(timeout=20)
    finally:
        server.kill()
    tokens = [line for line in output.splitlines() if line.startswith("atr_")]
    return tokens[0] if tokens else None


def _wait_until_up(port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("attrium serve did not come up")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
