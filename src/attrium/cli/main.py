"""`attrium`: serve, migrate, and administer workspaces and keys.

Output that scripts depend on (a new workspace's id, a new key's token) is printed
alone on stdout; everything for people goes to stderr.

The admin commands import the server (`attrium.cli.admin`) inside their bodies: the
remote commands, which only need the SDK, start without loading FastAPI, SQLAlchemy,
uvicorn or Alembic.
"""

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

import attrium
from attrium.cli import help as _help  # noqa: F401  (adjusts typer's help)
from attrium.cli import remote
from attrium.cli.connection import AsJson
from attrium.cli.output import folded, people, print_json, whole

app = typer.Typer(help="Attrium: customer profiles and custom attributes.", no_args_is_help=True)
workspaces_app = typer.Typer(help="Create and list workspaces.", no_args_is_help=True)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(workspaces_app, name="workspaces")
app.add_typer(keys_app, name="keys")


def _print_version(asked: bool) -> None:
    if asked:
        print(f"attrium {attrium.__version__}")
        raise typer.Exit()


@app.callback()
def options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="print the version and exit"
        ),
    ] = False,
) -> None:
    """Attrium: customer profiles and custom attributes."""


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to bind")] = None,
    port: Annotated[int | None, typer.Option(help="port to bind")] = None,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
    dialect_ports: Annotated[
        list[str] | None,
        typer.Option(
            "--dialect-port",
            metavar="NAME=PORT",
            help="also serve a dialect (attentive, customerio, invisible-collector, "
            "optimove) at the root of a port of its own; repeatable; replaces "
            "ATTRIUM_DIALECT_PORTS",
        ),
    ] = None,
) -> None:
    """Apply migrations, then serve the API."""
    from attrium.cli import admin

    admin.serve(host, port, workers, dialect_ports or [])


@app.command(name="migrate")
def migrate_command() -> None:
    """Apply database migrations (idempotent)."""
    from attrium.cli import admin

    admin.migrate_only()
    people.print("database is up to date")


@workspaces_app.command("create")
def create_workspace(
    name: str,
    create: Annotated[
        bool, typer.Option("--create", help="make the SQLite database if it does not exist")
    ] = False,
) -> None:
    """Create a workspace; prints its id alone on stdout."""
    from attrium.cli import admin

    print(admin.create_workspace(name, may_create=create))


@workspaces_app.command("list")
def list_workspaces(as_json: AsJson = False) -> None:
    """List every workspace; `--json`: an array of `{id, name}`."""
    from attrium.cli import admin

    found = admin.list_workspaces()
    if as_json:
        print_json(found)
        return
    table = Table(whole("id"), folded("name"))
    for workspace in found:
        table.add_row(workspace["id"], workspace["name"])
    Console().print(table)


@keys_app.command("create")
def create_key(
    workspace: Annotated[str, typer.Option(help="workspace name")],
    scopes: Annotated[str | None, typer.Option(help="comma-separated; default: all")] = None,
    label: Annotated[str | None, typer.Option(help="a note on what the key is for")] = None,
) -> None:
    """Create a key; its token is the last line of stdout (shown once)."""
    from attrium.cli import admin

    requested = [scope.strip() for scope in scopes.split(",") if scope.strip()] if scopes else None
    key_id, granted, token = admin.create_key(workspace, requested, label)
    people.print(f"key {key_id} with scopes {', '.join(granted)}")
    print(token)


@keys_app.command("list")
def list_keys(
    workspace: Annotated[str, typer.Option(help="workspace name")], as_json: AsJson = False
) -> None:
    """List a workspace's keys (never their tokens); `--json`: an array of
    `{id, label, scopes, created_at, revoked_at}`."""
    from attrium.cli import admin

    found = admin.list_keys(workspace)
    if as_json:
        print_json(found)
        return
    table = Table(whole("id"), folded("label"), folded("scopes"), "created", "revoked")
    for key in found:
        table.add_row(
            key["id"],
            key["label"] or "",
            ", ".join(key["scopes"]),
            _readable(key["created_at"]),
            _readable(key["revoked_at"] or ""),
        )
    Console().print(table)


def _readable(iso_time: str) -> str:
    """`2026-12-07 22:11:12+00:00`: the space lets a narrow table wrap it."""
    return iso_time.replace("T", " ")


@keys_app.command("revoke")
def revoke_key(key_id: str) -> None:
    """Revoke a key; every server process refuses it within a second."""
    from attrium.cli import admin

    admin.revoke_key(key_id)
    people.print(f"revoked {key_id}")


remote.register(app)


def main() -> None:
    app()
