"""One storage interface over two backends: SQLite (default) and PostgreSQL.

Services receive an `AsyncConnection` inside a transaction opened here; every
difference between the backends lives in this module, `core.sql`, or a domain's
`store.py`.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, Literal

import orjson
from sqlalchemy import MetaData, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from attrium.core.invalidation import Versions
from attrium.core.settings import Settings

Backend = Literal["sqlite", "postgresql"]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

SQLITE_BUSY_TIMEOUT_MS = 30_000

CommitCallback = Callable[["Database"], None]
# What the innermost `Database.transaction` of the running task does once it commits.
_on_commit: ContextVar[list[CommitCallback] | None] = ContextVar("attrium_on_commit", default=None)


def dump_json(value: Any) -> str:
    return orjson.dumps(value).decode()


def async_url(database_url: str) -> tuple[URL, Backend]:
    """Map the user-facing URL onto the async driver SQLAlchemy should use."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite+aiosqlite"), "sqlite"
    if url.get_backend_name() in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+asyncpg"), "postgresql"
    raise ValueError(f"unsupported database URL {database_url!r}: use sqlite:// or postgresql://")


class Database:
    def __init__(self, settings: Settings) -> None:
        url, self.backend = async_url(settings.database_url)
        self.pool_size = settings.database_pool_size
        self.schema = settings.database_schema if self.backend == "postgresql" else None
        self.engine = self._create_engine(url, settings)
        self._sqlite_write_lock: asyncio.Lock | None = None
        # What this process knows of each workspace's version (core.invalidation).
        self.versions = Versions()

    def _create_engine(self, url: URL, settings: Settings) -> AsyncEngine:
        # A fixed pool, no overflow: PostgreSQL's max_connections is shared by every
        # process (docs/scaling.md), and an SQLite connection opened beyond the pool is
        # closed when returned, where reopening one (a thread, the file, its pragmas) cost
        # more than the PATCH it served under 32 concurrent writers (docs/benchmarks.md).
        common: dict[str, Any] = {
            "pool_size": settings.database_pool_size,
            "max_overflow": 0,
            "json_serializer": dump_json,
            "json_deserializer": orjson.loads,
        }
        if self.backend == "postgresql":
            server_settings = {"search_path": self.schema} if self.schema else {}
            return create_async_engine(
                url,
                pool_pre_ping=False,
                connect_args={"server_settings": server_settings},
                **common,
            )
        engine = create_async_engine(url, **common)
        _configure_sqlite(engine, settings.sqlite_synchronous)
        return engine

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction: committed when the block ends, rolled back on error.

        SQLite allows one writer at a time; writers of this process queue on a lock
        and take the database lock up front (BEGIN IMMEDIATE) so that a reader never
        has to be upgraded to a writer mid-transaction. Callbacks registered inside
        the block with `after_commit` run once it has committed.
        """
        pending: list[CommitCallback] = []
        enclosing = _on_commit.get()
        _on_commit.set(pending)
        try:
            if self.is_sqlite:
                async with self._sqlite_lock(), self.engine.connect() as connection:
                    connection = await connection.execution_options(attrium_write=True)
                    async with connection.begin():
                        yield connection
            else:
                async with self.engine.begin() as connection:
                    yield connection
        finally:
            _on_commit.set(enclosing)
        for callback in pending:
            callback(self)

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction with a consistent snapshot."""
        async with self.engine.connect() as connection, connection.begin():
            yield connection

    @asynccontextmanager
    async def single_read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for one read statement, which is its own consistent snapshot.

        It runs outside a transaction (autocommit), sparing the BEGIN and COMMIT that
        `reader` sends (round trips to PostgreSQL).
        """
        async with self.engine.connect() as connection:
            if self.is_sqlite:
                yield await connection.execution_options(attrium_no_begin=True)
            else:
                yield await connection.execution_options(isolation_level="AUTOCOMMIT")

    def _sqlite_lock(self) -> asyncio.Lock:
        if self._sqlite_write_lock is None:
            self._sqlite_write_lock = asyncio.Lock()
        return self._sqlite_write_lock

    async def ping(self) -> None:
        async with self.reader() as connection:
            await connection.exec_driver_sql("SELECT 1")

    async def dispose(self) -> None:
        await self.engine.dispose()


def after_commit(callback: CommitCallback) -> None:
    """Run `callback` with the database once the running transaction commits; never on rollback.

    What a transaction changed must not be announced before others can read it.
    """
    pending = _on_commit.get()
    if pending is None:
        raise RuntimeError("after_commit needs a running Database.transaction")
    pending.append(callback)


def _configure_sqlite(engine: AsyncEngine, synchronous: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN out of the driver's hands so that we choose DEFERRED or IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            f"synchronous={synchronous}",
            "foreign_keys=ON",
            f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get("attrium_no_begin", False):
            return  # the driver runs without a transaction (autocommit), see single_read
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get("attrium_write") else "BEGIN")
