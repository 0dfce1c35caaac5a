"""How `attrium` starts: a remote command loads the SDK only (the server's libraries took
seconds to import), `--version` answers without a command, and help has no typer
artefacts."""

import os
import subprocess
import sys

import attrium

SERVER_LIBRARIES = ("fastapi", "starlette", "sqlalchemy", "uvicorn", "alembic")

LOADED_AFTER_A_REMOTE_COMMAND = f"""
import sys

import attrium
from attrium.cli import app
try:
    app(["customers", "get", "--help"])
except SystemExit:
    pass
print(sorted(m for m in sys.modules if m.split(".")[0] in {SERVER_LIBRARIES!r}))
"""


def test_a_remote_command_does_not_import_the_server() -> None:
    ran = subprocess.run(
        [sys.executable, "-c", LOADED_AFTER_A_REMOTE_COMMAND],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert ran.stdout.strip().splitlines()[-1] == "[]"


def test_version_prints_the_package_version_and_exits_0() -> None:
    ran = subprocess.run(
        [sys.executable, "-m", "attrium", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == f"attrium {attrium.__version__}"


HELP_PAGES = [
    [],
    ["customers", "get"],
    ["customers", "batch"],
    ["import"],
    ["activity"],
    ["keys", "list"],
    ["workspaces", "list"],
]


def test_help_shows_flags_bare_and_arguments_in_capitals() -> None:
    """typer printed `--json <bool>` and `Usage: ... {file}`."""
    for command in HELP_PAGES:
        ran = subprocess.run(
            [sys.executable, "-m", "attrium", *command, "--help"],
            env=os.environ | {"COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert ran.returncode == 0, ran.stderr
        assert "<bool>" not in ran.stdout, command
        [usage] = [line for line in ran.stdout.splitlines() if "Usage:" in line]
        assert "{" not in usage, command
        if command == ["activity"]:
            assert "[OPTIONS] REF" in usage
