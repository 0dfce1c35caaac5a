"""Schema migrations (Alembic), applied by `attrium migrate` and `attrium serve`."""

from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from attrium.core.database import Database

_MIGRATION_LOCK_ID = 74_682_611  # any constant: serialises migrations across processes


def alembic_config(connection: Any = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "attrium:migrations")
    config.attributes["connection"] = connection
    return config


async def migrate(db: Database) -> None:
    """Bring the schema to the newest revision; safe to run concurrently and repeatedly."""
    if db.schema:
        async with db.engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"'))
    async with db.transaction() as connection:
        if not db.is_sqlite:
            await connection.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})"))
        await connection.run_sync(_upgrade)


def _upgrade(connection: Any) -> None:
    command.upgrade(alembic_config(connection), "heads")
