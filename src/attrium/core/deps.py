"""FastAPI dependencies for what lives on the application: settings and database."""

from typing import Annotated

from fastapi import Depends, Request

from attrium.core.database import Database
from attrium.core.settings import Settings


# Async on purpose: FastAPI runs a plain `def` dependency in a thread pool, a thread hop
# per request for what is an attribute read.
async def get_database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
