"""The SDK covers every native route, and docs/sdk.md's table says which method is which."""

import asyncio
import re
from pathlib import Path

from attrium.app import create_app
from attrium.client import AsyncClient, Client
from attrium.client.methods import Methods, routes
from attrium.core.settings import Settings
from tests.support.docs import DOCS

NOT_NATIVE = ("/compat/", "/ui")


def _shape(path: str) -> str:
    """The path with its parameters unnamed: `/v1/customers/{}`."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def native_routes(tmp_path: Path) -> set[tuple[str, str]]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}"))
    return {
        (method.upper(), _shape(path))
        for path, operations in app.openapi()["paths"].items()
        if not path.startswith(NOT_NATIVE)
        for method in operations
    }


def declared_routes() -> set[tuple[str, str]]:
    return {(route.method, _shape(route.route)) for route in routes()}


def test_every_native_route_has_an_sdk_method(tmp_path: Path) -> None:
    native = native_routes(tmp_path)
    assert native - declared_routes() == set(), "native routes without an SDK method"
    assert declared_routes() - native == set(), "SDK methods for routes the server lacks"


def test_each_method_is_listed_under_its_own_name_on_both_clients() -> None:
    blocking = Client("http://127.0.0.1:9", "atr_x")
    awaited = AsyncClient("http://127.0.0.1:9", "atr_x")
    for route in routes():
        assert getattr(Methods, route.name) is route
        assert getattr(blocking, route.name).__name__ == route.name
        assert getattr(awaited, route.name).__name__ == route.name
    blocking.close()
    asyncio.run(awaited.close())


def test_the_docs_route_table_is_the_declared_one() -> None:
    rows = re.findall(r"^\| `(\w+) ([^`]+)` \| `(\w+)` \|", (DOCS / "sdk.md").read_text(), re.M)
    assert rows, "docs/sdk.md has no route table"
    documented = sorted((method, _shape(route), name) for method, route, name in rows)
    declared = sorted((route.method, _shape(route.route), route.name) for route in routes())
    assert documented == declared


def test_the_docs_route_table_names_parameters_as_openapi_does(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}"))
    paths = app.openapi()["paths"]
    rows = re.findall(r"^\| `(\w+) ([^`]+)` \|", (DOCS / "sdk.md").read_text(), re.M)
    assert [
        (method, path) for method, path in rows if method.lower() not in paths.get(path, {})
    ] == []
