"""What the admin commands run against the database, imported only when one runs:
it pulls in the server (SQLAlchemy, the migrations, uvicorn), which the remote
commands must not pay for."""

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from attrium.auth import service as keys
from attrium.cli.output import people
from attrium.core import serving
from attrium.core.database import Database
from attrium.core.errors import AttriumError
from attrium.core.migrate import migrate
from attrium.core.settings import Settings, get_settings
from attrium.workspaces import service as workspaces

Result = TypeVar("Result")

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
                " it there (or `workspaces create --create`), or set ATTRIUM_DATABASE_URL to"
                " the server's database"
            )


def _cause(error: BaseException) -> str:
    """The first line of what went wrong, without SQLAlchemy's statement and links."""
    cause = getattr(error, "orig", None) or error
    text = str(cause).strip().splitlines()
    return text[0] if text else type(cause).__name__


def _fail(message: str) -> NoReturn:
    people.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


def serve(host: str | None, port: int | None, workers: int, dialect_ports: list[str]) -> None:
    """Migrate, then serve; `dialect_ports` (`name=port`) replace ATTRIUM_DIALECT_PORTS."""
    overrides: dict[str, Any] = {"host": host, "port": port}
    overrides = {name: value for name, value in overrides.items() if value is not None}
    if dialect_ports:
        overrides["dialect_ports"] = dialect_ports
    settings = checked_settings(overrides)
    # The app's factory reads its settings from the environment (in every worker).
    os.environ["ATTRIUM_DIALECT_PORTS"] = ",".join(
        f"{name}={number}" for name, number in settings.dialect_ports.items()
    )
    get_settings.cache_clear()
    run_with_database(_bootstrap, may_create=True)
    serving.run(settings, workers)


def checked_settings(overrides: dict[str, Any]) -> Settings:
    """The settings from the environment and `overrides`; a bad one is one line and exit 1."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        _fail("; ".join(_setting_problem(problem) for problem in error.errors()))


def _setting_problem(problem: Any) -> str:
    message = str(problem["msg"]).removeprefix("Value error, ")
    name = ".".join(str(part) for part in problem["loc"])
    return f"{name}: {message}" if name and not message.startswith(name) else message


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


def migrate_only() -> None:
    run_with_database(_nothing, may_create=True)


async def _nothing(_database: Database) -> None:
    return None


def create_workspace(name: str, may_create: bool = False) -> str:
    """The new workspace's id (`may_create`: in a SQLite database made for it if need be)."""
    workspace = run_with_database(
        lambda database: workspaces.create(database, name), may_create=may_create
    )
    return workspace.workspace_id


def list_workspaces() -> list[dict[str, Any]]:
    async def fetch(database: Database) -> list[workspaces.Workspace]:
        return await workspaces.list_all(database)

    return [
        {"id": workspace.workspace_id, "name": workspace.name}
        for workspace in run_with_database(fetch)
    ]


def create_key(
    workspace: str, requested: list[str] | None, label: str | None
) -> tuple[str, list[str], str]:
    """The new key's id, its scopes and its token."""

    async def create(database: Database) -> tuple[keys.ApiKey, str]:
        found = await workspaces.get_by_name(database, workspace)
        return await keys.create_key(database, found, requested, label)

    key, token = run_with_database(create)
    return key.key_id, list(key.scopes), token


def list_keys(workspace: str) -> list[dict[str, Any]]:
    """A workspace's keys as JSON-ready dicts (never their tokens)."""

    async def fetch(database: Database) -> list[keys.ApiKey]:
        return await keys.list_keys(database, await workspaces.get_by_name(database, workspace))

    return [
        {
            "id": key.key_id,
            "label": key.label,
            "scopes": list(key.scopes),
            "created_at": key.created_at.isoformat(timespec="seconds"),
            "revoked_at": key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else None,
        }
        for key in run_with_database(fetch)
    ]


def revoke_key(key_id: str) -> None:
    run_with_database(lambda database: keys.revoke_key(database, key_id))
