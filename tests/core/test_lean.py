"""What a lean route may declare, and whose errors it renders."""

import asyncio
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.routing import APIRoute
from starlette.types import Message

from attrium.core.deps import DatabaseDep
from attrium.core.errors import AttriumError, NotFound
from attrium.core.http import JsonRoute
from attrium.core.lean import LeanEndpoint, LeanRouteError
from attrium.core.problems import problem_answer
from attrium.dialects.common import dialect_route


def only_route(router: APIRouter) -> APIRoute:
    [route] = router.routes
    assert isinstance(route, APIRoute)
    return route


def vendor_shape(error: AttriumError) -> Response:
    return Response(f"vendor says {error.detail}", status_code=error.status)


def test_a_dialect_route_renders_lean_errors_in_its_vendor_shape() -> None:
    router = APIRouter(route_class=dialect_route(vendor_shape))

    @router.get("/things/{thing_id}")
    async def get_thing(thing_id: str, db: DatabaseDep) -> Response:
        raise NotFound(f"no thing {thing_id}")

    lean = LeanEndpoint.of(only_route(router), only_route(router))
    answer = lean.render(NotFound("no thing t1"), "/things/t1")
    assert answer.status_code == 404
    assert answer.body == b"vendor says no thing t1"


def test_a_native_route_renders_problems() -> None:
    router = APIRouter(route_class=JsonRoute)

    @router.get("/things/{thing_id}")
    async def get_thing(thing_id: str) -> Response:
        return Response()

    assert LeanEndpoint.of(only_route(router), only_route(router)).render is problem_answer


def test_what_a_lean_route_cannot_supply_is_refused_when_built() -> None:
    router = APIRouter(route_class=JsonRoute)

    @router.get("/things")
    async def list_things(tags: Annotated[list[str], Query()]) -> Response:
        return Response()

    async def unknown() -> str:
        return "?"

    @router.get("/others")
    async def list_others(value: str = Depends(unknown)) -> Response:
        return Response()

    for route in router.routes:
        assert isinstance(route, APIRoute)
        with pytest.raises(LeanRouteError):
            LeanEndpoint.of(route, route)


def test_path_parameters_are_validated_as_declared() -> None:
    router = APIRouter(route_class=JsonRoute)

    @router.get("/things/{code}/{name}")
    async def get_thing(code: Annotated[str, Path(max_length=3)], name: str) -> Response:
        return Response(f"{code} {name}")

    route = only_route(router)
    lean = LeanEndpoint.of(route, route)

    def answer(code: str) -> tuple[int, bytes]:
        sent: list[Message] = []

        async def send(message: Message) -> None:
            sent.append(message)

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        scope = {"type": "http", "method": "GET", "path": f"/things/{code}/x", "headers": []}
        child_scope = {"path_params": {"code": code, "name": "any name"}, "route": route}
        asyncio.run(lean(scope, child_scope, receive, send))
        return sent[0]["status"], sent[1]["body"]

    assert answer("abc") == (200, b"abc any name")
    status, body = answer("abcd")
    assert status == 422
    assert b'"field":"code"' in body


def test_scalar_query_parameters_are_validated_as_declared() -> None:
    router = APIRouter(route_class=JsonRoute)

    @router.get("/things")
    async def list_things(limit: Annotated[int, Query(le=10)] = 5) -> Response:
        return Response(f"{limit}")

    route = only_route(router)
    lean = LeanEndpoint.of(route, route)

    def answer(query: bytes) -> tuple[int, bytes]:
        sent: list[Message] = []

        async def send(message: Message) -> None:
            sent.append(message)

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        scope = {
            "type": "http",
            "method": "GET",
            "path": "/things",
            "headers": [],
            "query_string": query,
        }
        asyncio.run(lean(scope, {"path_params": {}, "route": route}, receive, send))
        return sent[0]["status"], sent[1]["body"]

    assert answer(b"") == (200, b"5")
    assert answer(b"limit=7") == (200, b"7")
    status, body = answer(b"limit=11")
    assert (status, b'"field":"limit"' in body) == (422, True)
    status, body = answer(b"limt=3")
    assert (status, b'"field":"query.limt"' in body) == (400, True)
