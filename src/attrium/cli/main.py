"""`attrium`: serve, migrate, and administer workspaces and keys.

Output that scripts depend on (a new workspace's id, a new key's token) is printed
alone on stdout; everything for people goes to stderr.
"""

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
import uvicorn
from rich.console import Console
from rich.table import Table
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from attrium.auth import service as keys
from attrium.cli import remote
from attrium.core.database import Database
from attrium.core.errors import AttriumError
from attrium.core.migrate import migrate
from attrium.core.serving import uvicorn_options
from attrium.core.settings import get_settings
from attrium.workspaces import service as workspaces

Result = TypeVar("Result")

app = typer.Typer(help="Attrium: customer profiles and custom attributes.", no_args_is_help=True)
workspaces_app = typer.Typer(help="Create and list workspaces.", no_args_is_help=True)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(workspaces_app, name="workspaces")
app.add_typer(keys_app, name="keys")

people = Console(stderr=True)

DEFAULT_WORKSPACE = "default"


def run_with_database(
    work: Callable[[Database], Awaitable[Result]], may_create: bool = False
) -> Result:
    """Migrate, run `work` against the configured database, and close it. The database
    is named on stderr; a failure is one line naming its cause, and exit status 1.
    Unless `may_create`, a SQLite file that does not exist yet is refused: an admin
    command run from another directory would otherwise make a new, empty one there."""
    settings = get_settings()
    shown = shown_url(settings.database_url)
    people.print(f"database: {shown}", highlight=False, soft_wrap=True)
    if not may_create:
        _refuse_missing_sqlite_file(settings.database_url)

    async def session() -> Result:
        database = Database(settings)
        try:
            await migrate(database)
            return await work(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(session())
    except AttriumError as error:
        _fail(error.detail)
    except ValueError as error:  # an unsupported URL
        _fail(str(error))
    except (OSError, SQLAlchemyError) as error:
        _fail(f"cannot use the database {shown}: {_cause(error)}")


def shown_url(database_url: str) -> str:
    """The database URL without its password."""
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return database_url


def _refuse_missing_sqlite_file(database_url: str) -> None:
    try:
        url = make_url(database_url)
    except ArgumentError:
        return  # Database() names the problem
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database or "").resolve()
        if not path.exists():
            _fail(
                f"no database at {path}: run `attrium migrate` (or `attrium serve`) to make"
                " it there, or set ATTRIUM_DATABASE_URL to the server's database"
            )


def _cause(error: BaseException) -> str:
    """The first line of what went wrong, without SQLAlchemy's statement and links."""
    cause = getattr(error, "orig", None) or error
    text = str(cause).strip().splitlines()
    return text[0] if text else type(cause).__name__


def _fail(message: str) -> NoReturn:
    people.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to bind")] = None,
    port: Annotated[int | None, typer.Option(help="port to bind")] = None,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
) -> None:
    """Apply migrations, then serve the API."""
    settings = get_settings()
    run_with_database(_bootstrap, may_create=True)
    uvicorn.run(
        "attrium.app:create_default_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        loop="uvloop",
        log_level="info",
        **uvicorn_options(settings),
    )


async def _bootstrap(database: Database) -> None:
    """On the very first start, make a `default` workspace and show its admin key once."""
    if await workspaces.count(database):
        return
    workspace = await workspaces.create(database, DEFAULT_WORKSPACE)
    _, token = await keys.create_key(database, workspace, label="admin (first start)")
    people.print(
        f"\n[bold]Created workspace {DEFAULT_WORKSPACE!r}[/bold] ({workspace.workspace_id}).\n"
        "Its admin key, shown this once (store it now):\n"
    )
    print(token, flush=True)
    people.print()


@app.command(name="migrate")
def migrate_command() -> None:
    """Apply database migrations (idempotent)."""
    run_with_database(_nothing, may_create=True)
    people.print("database is up to date")


async def _nothing(_database: Database) -> None:
    return None


@workspaces_app.command("create")
def create_workspace(name: str) -> None:
    """Create a workspace; prints its id alone on stdout."""
    workspace = run_with_database(lambda database: workspaces.create(database, name))
    print(workspace.workspace_id)


@workspaces_app.command("list")
def list_workspaces() -> None:
    """List every workspace."""

    async def fetch(database: Database) -> list[workspaces.Workspace]:
        return await workspaces.list_all(database)

    table = Table("id", "name")
    for workspace in run_with_database(fetch):
        table.add_row(workspace.workspace_id, workspace.name)
    Console().print(table)


@keys_app.command("create")
def create_key(
    workspace: Annotated[str, typer.Option(help="workspace name")],
    scopes: Annotated[str | None, typer.Option(help="comma-separated; default: all")] = None,
    label: Annotated[str | None, typer.Option(help="a note on what the key is for")] = None,
) -> None:
    """Create a key; its token is the last line of stdout (shown once)."""
    requested = [scope.strip() for scope in scopes.split(",") if scope.strip()] if scopes else None

    async def create(database: Database) -> tuple[keys.ApiKey, str]:
        found = await workspaces.get_by_name(database, workspace)
        return await keys.create_key(database, found, requested, label)

    key, token = run_with_database(create)
    people.print(f"key {key.key_id} with scopes {', '.join(key.scopes)}")
    print(token)


@keys_app.command("list")
def list_keys(workspace: Annotated[str, typer.Option(help="workspace name")]) -> None:
    """List a workspace's keys (never their tokens)."""

    async def fetch(database: Database) -> list[keys.ApiKey]:
        return await keys.list_keys(database, await workspaces.get_by_name(database, workspace))

    table = Table("id", "label", "scopes", "created", "revoked")
    for key in run_with_database(fetch):
        table.add_row(
            key.key_id,
            key.label or "",
            ",".join(key.scopes),
            key.created_at.isoformat(timespec="seconds"),
            key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "",
        )
    Console().print(table)


@keys_app.command("revoke")
def revoke_key(key_id: str) -> None:
    """Revoke a key; every server process refuses it within a second."""
    run_with_database(lambda database: keys.revoke_key(database, key_id))
    people.print(f"revoked {key_id}")


remote.register(app)


def main() -> None:
    app()
