"""The ASGI application: routers, error mapping and middleware, wired once."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Receive, Scope, Send

from attrium import __version__
from attrium.activity.api import router as activity_router
from attrium.attributes.api import router as attributes_router
from attrium.attributes.stats import StatsCompactor
from attrium.auth.api import router as keys_router
from attrium.core import api_docs, logs, metrics, problems
from attrium.core.aliases import PathAliases
from attrium.core.database import Database
from attrium.core.errors import Unavailable
from attrium.core.jsonio import JsonResponse
from attrium.core.lean import lean
from attrium.core.middleware import FrontDoor, FrontDoorSettings
from attrium.core.ratelimit import rate_limiter
from attrium.core.routing import RouteTable
from attrium.core.settings import Settings, get_settings
from attrium.customers.api import router as customers_router
from attrium.devices.api import router as devices_router
from attrium.dialects.attentive import router as attentive_router
from attrium.dialects.customerio import router as customerio_router
from attrium.dialects.invisible_collector import router as invisible_collector_router
from attrium.dialects.mounts import DIALECT_PREFIXES, ROOT_PATHS
from attrium.dialects.optimove import router as optimove_router
from attrium.events.api import router as events_router
from attrium.history.api import router as history_router
from attrium.history.retention import HistoryKeeper
from attrium.identity.api import merges_router
from attrium.identity.api import router as identity_router
from attrium.imports.api import export_router
from attrium.imports.api import router as imports_router
from attrium.imports.runner import ImportRunner
from attrium.objects.api import routers as object_routers
from attrium.segments.api import router as segments_router
from attrium.subscriptions.api import routers as subscription_routers
from attrium.templates.api import router as templates_router
from attrium.ui import api as ui
from attrium.ui.security import SECURITY_HEADERS as UI_SECURITY_HEADERS
from attrium.ui.web import UI_PREFIX
from attrium.workspaces.api import router as workspace_router
from attrium.workspaces.service import version_poller


class AttriumApp(FastAPI):
    """FastAPI behind Attrium's front door (core/middleware.py), routed by a table.

    The front door is the outermost layer; the table (core/routing.py) finds each
    request's route, serves lean routes itself and hands the others to FastAPI's
    stack, whose router no longer searches for them.
    """

    front_door: FrontDoorSettings
    _without_telemetry: bool | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # FastAPI asks OpenTelemetry on every request whether it is configured (an
        # environment lookup or three); the answer is taken once, at the first call
        # (the lifespan's), when any instrumentation is in place.
        if self._without_telemetry is None:
            self._without_telemetry = not self.root_path and not self._native_telemetry.enabled()
        if self._without_telemetry and scope["type"] == "http":
            scope["app"] = self
            if self.middleware_stack is None:
                self.middleware_stack = self.build_middleware_stack()
            await self.middleware_stack(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def build_middleware_stack(self) -> ASGIApp:
        table = RouteTable(self.router)
        # The router's own middleware slot: FastAPI's stack ends in the table.
        self.router.middleware_stack = table.dispatch
        return FrontDoor(super().build_middleware_stack(), table, self.front_door)

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            self.openapi_schema = api_docs.with_problem_media_types(super().openapi())
        return self.openapi_schema


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """The application; `database` lets a caller share one it already opened."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = database is None
        app.state.db = database or Database(settings)
        app.state.version_poller = version_poller(app.state.db)
        await app.state.version_poller.start()
        app.state.import_runner = ImportRunner(app.state.db, settings)
        if settings.import_runner:
            app.state.import_runner.start()
        stats_compactor = StatsCompactor(app.state.db, settings.stats_compact_seconds)
        stats_compactor.start()
        history_keeper = HistoryKeeper(app.state.db, settings)
        history_keeper.start()
        # What is alive once started (modules, tables, routes) lives as long as the
        # process; frozen, the cyclic collector stops walking it on every full pass
        # (a fifth of an import batch's CPU went there).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await app.state.import_runner.stop()
            await app.state.version_poller.stop()
            await stats_compactor.stop()
            await history_keeper.stop()
            await app.state.rate_limiter.close()
            if owned:
                await app.state.db.dispose()

    app = AttriumApp(
        title="Attrium",
        version=__version__,
        summary="Customer profiles and custom attributes",
        lifespan=lifespan,
        default_response_class=JsonResponse,
        docs_url=None,  # core/api_docs.py serves it without a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.rate_limiter = rate_limiter(settings)
    app.front_door = FrontDoorSettings(
        body_timeout_seconds=settings.body_timeout_seconds,
        max_body_bytes=settings.max_body_bytes,
        upload_limits={
            ("POST", "/v1/imports"): settings.max_import_bytes,
            ("POST", "/ui/imports"): settings.max_import_bytes,
            ("POST", "/v1/customers/batch"): settings.max_batch_bytes,
        },
        prefix_headers={UI_PREFIX: UI_SECURITY_HEADERS},
        aliases=dialect_aliases(settings),
    )
    logs.route_through_logging()
    problems.install(app)
    app.include_router(metrics.router)
    # activity_router before attributes_router: /v1/attributes/{name}/changes must win
    app.include_router(activity_router)
    app.include_router(history_router)
    routers = (
        imports_router,
        export_router,
        customers_router,
        events_router,
        devices_router,
        attributes_router,
        keys_router,
        workspace_router,
    )
    for router in routers:
        app.include_router(router)
    app.include_router(attentive_router)
    app.include_router(customerio_router)
    app.include_router(identity_router)
    app.include_router(merges_router)
    for router in (*subscription_routers, *object_routers):
        app.include_router(router)
    app.include_router(invisible_collector_router)
    app.include_router(segments_router)
    app.include_router(templates_router)
    app.include_router(optimove_router)
    ui.install(app)
    api_docs.install(app, home=UI_PREFIX)

    @lean
    @app.get("/healthz", tags=["health"])
    async def healthz() -> Response:
        """Liveness: the process answers."""
        return JsonResponse({"status": "ok"})

    @app.get("/readyz", tags=["health"])
    async def readyz() -> Response:
        """Readiness: the database answers."""
        try:
            await app.state.db.ping()
        except (OSError, SQLAlchemyError) as error:
            raise Unavailable(f"the database does not answer: {error}") from error
        return JsonResponse({"status": "ready"})

    return app


def dialect_aliases(settings: Settings) -> PathAliases:
    """Vendor paths at the root of the main port, and the ports given to one dialect
    (dialects/mounts.py)."""
    return PathAliases(
        at_root={path: DIALECT_PREFIXES[name] for path, name in ROOT_PATHS.items()},
        by_port={port: DIALECT_PREFIXES[name] for name, port in settings.dialect_ports.items()},
    )


def create_default_app() -> FastAPI:
    """Factory for `uvicorn --factory` and worker processes: settings from the environment."""
    logs.configure(get_settings().log_level)
    return create_app()
