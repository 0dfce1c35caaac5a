"""The route table chooses the route FastAPI's own router would, for every route."""

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from starlette.routing import Match

from attrium.app import create_app
from attrium.core.routing import Leaf, RouteTable
from attrium.core.settings import Settings

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Paths whose answer depends on the order of routes, on encoded slashes or on the
# methods a path takes.
TRICKY_PATHS = [
    "/v1/customers/export",
    "/v1/customers/a%2Fb",
    "/v1/customers/a%2Fb/attributes",
    "/v1/customers/a%2Fb/attributes/x/y",
    "/v1/customers/x/relationships",
    "/v1/customers/x%2Frelationships",
    "/v1/attributes/plan/changes",
    "/v1/attributes/plan",
    "/v1/customers",
    "/v1/customers/",
    "/healthz/",
    "/ui",
    "/ui/",
    "/ui/static/htmx.min.js",
    "/ui/catalog",
    "/docs",
    "/openapi.json",
    "/compat/customerio/api/v1/customers/x",
    "/compat/optimove/nothing/here",
    "/nothing",
    "/",
]


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(Settings(database_url="sqlite:///unused.db"))


@pytest.fixture(scope="module")
def table(app: FastAPI) -> RouteTable:
    return RouteTable(app.router)


def scope_for(method: str, raw_path: str) -> dict[str, Any]:
    from urllib.parse import unquote

    return {
        "type": "http",
        "method": method,
        "path": unquote(raw_path),
        "raw_path": raw_path.encode(),
        "root_path": "",
        "headers": [],
        "query_string": b"",
    }


def fastapi_choice(app: FastAPI, scope: dict[str, Any]) -> tuple[Any, Match] | None:
    """The route FastAPI's router chooses: the first full match, else the first partial."""
    partial = None
    for route in app.router.routes:
        if isinstance(route, fastapi_routing._IncludedRouter):
            match, _, chosen, context = route._match(dict(scope))
            while isinstance(chosen, fastapi_routing._IncludedRouter):
                match, _, chosen, context = chosen._match(dict(scope))
            chosen = context.original_route if context is not None else chosen
        else:
            match, _ = route.matches(dict(scope))
            chosen = route
        if match is Match.FULL:
            return chosen, match
        if match is Match.PARTIAL and partial is None:
            partial = (chosen, match)
    return partial


def table_choice(table: RouteTable, scope: dict[str, Any]) -> tuple[Any, Match] | None:
    resolved = table.resolve(dict(scope))
    if resolved is None:
        return None
    leaf = resolved.leaf
    chosen = leaf.context.original_route if leaf.context is not None else leaf.route
    return chosen, resolved.match


def sample_path(template: str) -> str:
    """A path the template matches, with parameter values no literal route uses."""
    return re.sub(r"\{[^}]*\}", "sample-value", template)


def test_every_route_is_in_the_table_once(app: FastAPI, table: RouteTable) -> None:
    flattened = list(fastapi_routing.iter_route_contexts(app.routes))
    assert len(table.leaves) == len(flattened) > 100


def test_the_table_chooses_what_fastapi_chooses_for_every_route(
    app: FastAPI, table: RouteTable
) -> None:
    paths = {sample_path(leaf.template) for leaf in table.leaves if leaf.template}
    for path in sorted(paths | set(TRICKY_PATHS)):
        for method in METHODS:
            scope = scope_for(method, path)
            assert table_choice(table, scope) == fastapi_choice(app, scope), (method, path)


def test_each_documented_operation_dispatches_to_its_route(app: FastAPI, table: RouteTable) -> None:
    operations = {
        (method.upper(), path): operation["operationId"]
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
    }
    for (method, path), operation_id in operations.items():
        resolved = table.resolve(scope_for(method, sample_path(path)))
        assert resolved is not None, (method, path)
        assert resolved.match is Match.FULL
        assert _route_of(resolved.leaf).unique_id == operation_id, (method, path)


def test_order_decides_between_overlapping_routes(table: RouteTable) -> None:
    export = table.resolve(scope_for("GET", "/v1/customers/export"))
    assert export is not None
    assert _route_of(export.leaf).path == "/v1/customers/export"
    changes = table.resolve(scope_for("GET", "/v1/attributes/plan/changes"))
    assert changes is not None
    assert _route_of(changes.leaf).path == "/v1/attributes/{name:path}/changes"


def test_an_encoded_slash_stays_in_its_parameter(table: RouteTable) -> None:
    resolved = table.resolve(scope_for("PATCH", "/v1/customers/a%2Fb/attributes"))
    assert resolved is not None
    assert resolved.child_scope["path_params"] == {"customer_id": "a/b"}


def test_a_path_without_the_method_is_a_partial_match(table: RouteTable) -> None:
    resolved = table.resolve(scope_for("POST", "/v1/customers/c1"))
    assert resolved is not None
    assert resolved.match is Match.PARTIAL
    assert table.resolve(scope_for("GET", "/v1/nothing-here")) is None


def test_a_request_tries_few_routes(table: RouteTable) -> None:
    """Routing cost does not grow with the number of routes."""
    node = table.root
    for segment in ("v1", "customers"):
        node = node.children[segment]
    assert len(node.by_method["PATCH"]) <= 5
    assert len(table.root.children["healthz"].by_method["GET"]) <= 3


def _route_of(leaf: Leaf) -> Any:
    return leaf.context.original_route if leaf.context is not None else leaf.route


def test_lean_routes_match_as_fastapi_matches_them(table: RouteTable) -> None:
    lean_leaves = [leaf for leaf in table.leaves if leaf.lean is not None]
    assert len(lean_leaves) >= 4
    for leaf in lean_leaves:
        assert leaf.template is not None
        paths = [sample_path(leaf.template), leaf.template.replace("{", "a%2F{")]
        for path in [*paths, "/v1/customers/x/attributes/", "/healthz/"]:
            for method in METHODS:
                scope = scope_for(method, re.sub(r"\{[^}]*\}", "b", path))
                lean, leaf.lean = leaf.lean, None
                try:
                    through_fastapi = leaf.matches(scope)
                finally:
                    leaf.lean = lean
                assert leaf.matches(scope) == through_fastapi, (method, path)
