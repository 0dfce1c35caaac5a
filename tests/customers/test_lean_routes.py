"""The lean customer writes answer exactly as FastAPI answered them.

Each case runs twice on the same backend, in two fresh workspaces: once through an
app that serves the hot routes lean, once through one that hands them to FastAPI,
and the two answers must be the same (status, headers, body). A few answers are
also pinned as they were before the routes went lean.
"""

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.backends import LiveBackend
from tests.support.twins import Case, answers, app_of, lean_routes, twins
from tests.support.workspaces import TestWorkspace, new_workspace

JSON = {"content-type": "application/json"}
DEEP = b'{"attributes": {"a": ' + b"[" * 40 + b"]" * 40 + b"}}"
HUGE = b'{"attributes": {"a": "' + b"x" * (1024 * 1024) + b'"}}'
BATCH = (
    b'{"customers": [{"id": "c1", "attributes": {"b": 1}}, {"id": "c1", "attributes": {"b": "x"}},'
    b' {"email": "taken"}, {"x": 1}, 5]}'
)

# (name, method, path, headers, body); header `auth` names the key to send.
CASES: list[Case] = [
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
    ("batch", "POST", "/v1/customers/batch", {**JSON, "auth": "admin"}, BATCH),
    ("batch none", "POST", "/v1/customers/batch", {**JSON, "auth": "admin"}, b'{"customers": []}'),
    ("batch one", "POST", "/v1/customers/batch", {**JSON, "auth": "admin"}, b'{"customers": 1}'),
    ("batch reader", "POST", "/v1/customers/batch", {**JSON, "auth": "reader"}, BATCH),
    ("batch no key", "POST", "/v1/customers/batch", JSON, BATCH),
    ("put batch", "PUT", "/v1/customers/batch", {**JSON, "auth": "admin"}, b'{"id": "b"}'),
    ("unknown query", "PUT", "/v1/customers/c1?plan=pro", {**JSON, "auth": "admin"}, b"{}"),
    ("healthz", "GET", "/healthz", {}, None),
    ("healthz head", "HEAD", "/healthz", {}, None),
]


@pytest.fixture
def twin_apps(backend: LiveBackend) -> tuple[FastAPI, FastAPI]:
    return twins(backend)


def bearer_keys(workspace: TestWorkspace) -> dict[str, str]:
    return {
        "admin": f"Bearer {workspace.token}",
        "reader": f"Bearer {workspace.key(['attributes:read'])}",
    }


def answers_of(backend: LiveBackend, app: FastAPI) -> dict[str, dict[str, Any]]:
    return answers(backend, app, CASES, bearer_keys)


def test_lean_routes_answer_as_fastapi_did(
    backend: LiveBackend, twin_apps: tuple[FastAPI, FastAPI]
) -> None:
    lean, through_fastapi = twin_apps
    assert lean_routes(lean) == {
        ("POST", "/v1/customers/batch"),
        ("PUT", "/v1/customers/{customer_id}"),
        ("PATCH", "/v1/customers/{customer_id}/attributes"),
        ("DELETE", "/v1/customers/{customer_id}/attributes/{name:path}"),
        ("GET", "/healthz"),
        ("PUT", "/compat/customerio/api/v1/customers/{identifier}"),
    }
    assert not lean_routes(through_fastapi)
    expected = answers_of(backend, through_fastapi)
    found = answers_of(backend, lean)
    for name, *_ in CASES:
        assert found[name] == expected[name], name


def test_the_answers_are_the_documented_problems(
    backend: LiveBackend, twin_apps: tuple[FastAPI, FastAPI]
) -> None:
    found = answers_of(backend, twin_apps[0])
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
    assert found["unknown query"]["status"] == 400
    assert '"field":"query.plan","rule":"query.unknown"' in found["unknown query"]["body"]


def test_a_stalled_lean_body_is_a_408(backend: LiveBackend) -> None:
    app = app_of(backend, body_timeout_seconds=0.05)
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
