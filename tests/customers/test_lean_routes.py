"""The lean customer writes answer exactly as FastAPI answered them.

Each case runs twice on the same backend, in two fresh workspaces: once through an
app that serves the hot routes lean, once through one that hands them to FastAPI,
and the two answers must be the same (status, headers, body). A few answers are
also pinned as they were before the routes went lean.
"""

import asyncio
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from attrium.app import create_app
from attrium.core.middleware import FrontDoor
from tests.support.backends import LiveBackend
from tests.support.workspaces import new_workspace

JSON = {"content-type": "application/json"}
DEEP = b'{"attributes": {"a": ' + b"[" * 40 + b"]" * 40 + b"}}"
HUGE = b'{"attributes": {"a": "' + b"x" * (1024 * 1024) + b'"}}'

# (name, method, path, headers, body); header `auth` names the key to send.
CASES: list[tuple[str, str, str, dict[str, str], bytes | None]] = [
    ("created", "PUT", "/v1/customers/c1", {**JSON, "auth": "admin"}, b'{"email": "A@x.io"}'),
    ("updated", "PUT", "/v1/customers/c1", {**JSON, "auth": "admin"}, b'{"attributes": {"n": 1}}'),
    ("no key", "PUT", "/v1/customers/c1", JSON, b"{}"),
    ("basic scheme", "PUT", "/v1/customers/c1", {**JSON, "Authorization": "Basic eDp5"}, b"{}"),
    ("empty bearer", "PUT", "/v1/customers/c1", {**JSON, "Authorization": "Bearer"}, b"{}"),
    ("unknown key", "PUT", "/v1/customers/c1", {**JSON, "Authorization": "Bearer no"}, b"{}"),
    ("reader", "PUT", "/v1/customers/c1", {**JSON, "auth": "reader"}, b"{}"),
    ("no key, bad json", "PUT", "/v1/customers/c1", JSON, b'{"a": '),
    ("no key, bad body", "PUT", "/v1/customers/c1", JSON, b'{"emial": 1}'),
    ("malformed", "PUT", "/v1/customers/c1", {**JSON, "auth": "admin"}, b'{"attributes": '),
    ("too deep", "PUT", "/v1/customers/c1", {**JSON, "auth": "admin"}, DEEP),
    ("too large", "PUT", "/v1/customers/c1", {**JSON, "auth": "admin"}, HUGE),
    ("text", "PUT", "/v1/customers/c1", {"content-type": "text/plain", "auth": "admin"}, b"a"),
    ("no content type", "PUT", "/v1/customers/c1", {"auth": "admin"}, b'{"attributes": {}}'),
    (
        "+json",
        "PUT",
        "/v1/customers/c1",
        {"content-type": "application/merge-patch+json", "auth": "admin"},
        b'{"attributes": {"m": 1}}',
    ),
    ("empty body", "PUT", "/v1/customers/c1", {**JSON, "auth": "admin"}, b""),
    ("a string", "PUT", "/v1/customers/c1", {**JSON, "auth": "admin"}, b'"hello"'),
    ("unknown field", "PUT", "/v1/customers/c1", {**JSON, "auth": "admin"}, b'{"emial": "a"}'),
    (
        "two errors",
        "PUT",
        "/v1/customers/c1",
        {**JSON, "auth": "admin"},
        b'{"email": 5, "update_only": "yes"}',
    ),
    ("bad ref", "PUT", "/v1/customers/email:nope", {**JSON, "auth": "admin"}, b"{}"),
    ("taken", "PUT", "/v1/customers/c2", {**JSON, "auth": "admin"}, b'{"email": "a@x.io"}'),
    ("update only", "PUT", "/v1/customers/c9", {**JSON, "auth": "admin"}, b'{"update_only": true}'),
    ("slash", "PUT", "/v1/customers/a%2Fb", {**JSON, "auth": "admin"}, b'{"attributes": {"s": 1}}'),
    ("NaN", "PUT", "/v1/customers/c1", {**JSON, "auth": "admin"}, b'{"attributes": {"a": NaN}}'),
    ("patch", "PATCH", "/v1/customers/c1/attributes", {**JSON, "auth": "admin"}, b'{"n": null}'),
    ("patch list", "PATCH", "/v1/customers/c1/attributes", {**JSON, "auth": "admin"}, b"[1, 2]"),
    ("patch empty", "PATCH", "/v1/customers/c1/attributes", {**JSON, "auth": "admin"}, b""),
    ("patch nobody", "PATCH", "/v1/customers/c7/attributes", {**JSON, "auth": "admin"}, b"{}"),
    ("patch reader", "PATCH", "/v1/customers/c1/attributes", {**JSON, "auth": "reader"}, b"{}"),
    ("patch type", "PATCH", "/v1/customers/c1/attributes", {**JSON, "auth": "admin"}, b'{"m":"x"}'),
    ("patch text", "PATCH", "/v1/customers/c1/attributes", {"content-type": "text/x"}, b"{}"),
    ("patch slash", "PATCH", "/v1/customers/a%2Fb/attributes", {**JSON, "auth": "admin"}, b"{}"),
    ("delete", "DELETE", "/v1/customers/c1/attributes/m", {"auth": "admin"}, None),
    ("delete slash", "DELETE", "/v1/customers/a%2Fb/attributes/x/y", {"auth": "admin"}, None),
    ("delete nobody", "DELETE", "/v1/customers/c7/attributes/m", {"auth": "admin"}, None),
    ("delete no key", "DELETE", "/v1/customers/c1/attributes/m", {}, None),
    ("delete reader", "DELETE", "/v1/customers/c1/attributes/m", {"auth": "reader"}, None),
    ("wrong method", "POST", "/v1/customers/c1", {**JSON, "auth": "admin"}, b"{}"),
    ("healthz", "GET", "/healthz", {}, None),
    ("healthz head", "HEAD", "/healthz", {}, None),
]


def serving_through_fastapi(app: FastAPI) -> FastAPI:
    """`app`, with its lean routes handed to FastAPI like every other route."""
    app.middleware_stack = app.build_middleware_stack()
    assert isinstance(app.middleware_stack, FrontDoor)
    for leaf in app.middleware_stack.table.leaves:
        leaf.lean = None
    return app


@pytest.fixture
def twins(backend: LiveBackend) -> tuple[FastAPI, FastAPI]:
    apps = (create_app(backend.settings, backend.db), create_app(backend.settings, backend.db))
    for app in apps:
        app.state.db = backend.db
    return apps[0], serving_through_fastapi(apps[1])


def answers(backend: LiveBackend, app: FastAPI) -> dict[str, dict[str, Any]]:
    workspace = new_workspace(backend)
    tokens = {"admin": workspace.token, "reader": workspace.key(["attributes:read"])}

    async def send_all() -> dict[str, dict[str, Any]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            found = {}
            for name, method, path, headers, body in CASES:
                sent = {key: value for key, value in headers.items() if key != "auth"}
                if "auth" in headers:
                    sent["Authorization"] = f"Bearer {tokens[headers['auth']]}"
                answer = await client.request(method, path, headers=sent, content=body)
                found[name] = comparable(answer, workspace.workspace.workspace_id)
            return found

    return backend.run(send_all())


def comparable(answer: httpx.Response, workspace_id: str) -> dict[str, Any]:
    """What must be equal: everything but generated ids and times."""
    text = answer.text.replace(workspace_id, "<workspace>")
    text = re.sub(r"[0-9A-HJKMNP-TV-Z]{26}", "<ulid>", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z", "<time>", text)
    headers = {
        name: re.sub(r"[0-9A-HJKMNP-TV-Z]{26}", "<ulid>", value)
        for name, value in answer.headers.items()
        if name not in ("x-request-id", "date", "content-length")
    }
    return {"status": answer.status_code, "headers": headers, "body": text}


def test_lean_routes_answer_as_fastapi_did(
    backend: LiveBackend, twins: tuple[FastAPI, FastAPI]
) -> None:
    lean, through_fastapi = twins
    expected = answers(backend, through_fastapi)
    found = answers(backend, lean)
    for name, *_ in CASES:
        assert found[name] == expected[name], name


def test_the_answers_are_the_documented_problems(
    backend: LiveBackend, twins: tuple[FastAPI, FastAPI]
) -> None:
    found = answers(backend, twins[0])
    assert found["no key"]["status"] == 401
    assert found["no key"]["headers"]["www-authenticate"] == 'Bearer realm="attrium"'
    assert found["reader"]["body"] == (
        '{"type":"/problems/forbidden","title":"Not allowed for this key","status":403,'
        '"detail":"this key lacks the \'attributes:write\' scope","instance":"/v1/customers/c1"}'
    )
    assert found["no key, bad json"]["status"] == 400  # the body is read before the key
    assert found["no key, bad body"]["status"] == 401  # and validated after it
    assert found["too large"]["status"] == 413
    assert found["too large"]["headers"]["connection"] == "close"
    assert found["text"]["status"] == 415
    assert found["no content type"]["status"] == 422
    assert found["empty body"]["body"] == (
        '{"type":"/problems/validation-failed","title":"The request broke a rule",'
        '"status":422,"detail":"body: Field required","instance":"/v1/customers/c1",'
        '"errors":[{"field":"body","rule":"missing","message":"Field required"}]}'
    )
    assert found["two errors"]["body"] == (
        '{"type":"/problems/validation-failed","title":"The request broke a rule",'
        '"status":422,"detail":"2 fields broke a rule","instance":"/v1/customers/c1",'
        '"errors":[{"field":"email","rule":"string_type","message":"Input should be a valid '
        'string"},{"field":"update_only","rule":"bool_type","message":"Input should be a '
        'valid boolean"}]}'
    )
    assert found["too deep"]["body"] == (
        '{"type":"/problems/malformed-request","title":"Malformed request","status":400,'
        '"detail":"the body nests deeper than 32 levels","instance":"/v1/customers/c1",'
        '"errors":[{"field":"body","rule":"json.depth","message":"at most 32 levels of '
        'nesting"}]}'
    )
    assert found["created"]["status"] == 201
    assert found["created"]["headers"]["location"] == "/v1/customers/profile:<ulid>"
    assert found["slash"]["body"].startswith('{"id":"a/b"')
    assert found["delete slash"]["status"] == 204
    assert found["wrong method"]["status"] == 405


def test_a_stalled_lean_body_is_a_408(backend: LiveBackend) -> None:
    app = create_app(backend.settings.model_copy(update={"body_timeout_seconds": 0.05}))
    app.state.db = backend.db
    token = new_workspace(backend).token

    async def stall() -> httpx.Response:
        async def trickle() -> Any:
            yield b'{"attributes": '
            await asyncio.sleep(10)

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.put(
                "/v1/customers/slow",
                content=trickle(),
                headers={**JSON, "Authorization": f"Bearer {token}"},
            )

    answer = backend.run(stall())
    assert answer.status_code == 408
    assert answer.headers["connection"] == "close"
