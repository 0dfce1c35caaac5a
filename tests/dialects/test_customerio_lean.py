"""Customer.io's identify, served lean, answers exactly as it did through FastAPI."""

import base64

import pytest
from fastapi import FastAPI

from tests.support.backends import LiveBackend
from tests.support.twins import Case, answers, lean_routes, twins
from tests.support.workspaces import TestWorkspace

PERSON = "/compat/customerio/api/v1/customers"
JSON = {"content-type": "application/json"}
DEEP = b'{"a": ' + b"[" * 40 + b"]" * 40 + b"}"

CASES: list[Case] = [
    ("added", "PUT", f"{PERSON}/5", {**JSON, "auth": "admin"}, b'{"email": "b@x.io", "n": 1}'),
    ("updated", "PUT", f"{PERSON}/5", {**JSON, "auth": "admin"}, b'{"plan": "pro"}'),
    ("by email", "PUT", f"{PERSON}/c@x.io", {**JSON, "auth": "admin"}, b'{"n": 2}'),
    (
        "unknown cio_id",
        "PUT",
        f"{PERSON}/cio_00000000000000000000000000",
        {**JSON, "auth": "admin"},
        b"{}",
    ),
    ("slash", "PUT", f"{PERSON}/a%2Fb", {**JSON, "auth": "admin"}, b'{"n": 3}'),
    ("no credentials", "PUT", f"{PERSON}/5", JSON, b"{}"),
    ("bearer", "PUT", f"{PERSON}/5", {**JSON, "auth": "bearer"}, b"{}"),
    ("not base64", "PUT", f"{PERSON}/5", {**JSON, "auth": "garbled"}, b"{}"),
    ("no colon", "PUT", f"{PERSON}/5", {**JSON, "auth": "no colon"}, b"{}"),
    ("other site", "PUT", f"{PERSON}/5", {**JSON, "auth": "other site"}, b"{}"),
    ("unknown key", "PUT", f"{PERSON}/5", {**JSON, "auth": "unknown key"}, b"{}"),
    ("reader", "PUT", f"{PERSON}/5", {**JSON, "auth": "reader"}, b"{}"),
    (
        "preferences without the scope",
        "PUT",
        f"{PERSON}/5",
        {**JSON, "auth": "writer"},
        b'{"cio_subscription_preferences": {"topics": {"topic_1": true}}}',
    ),
    ("malformed", "PUT", f"{PERSON}/5", {**JSON, "auth": "admin"}, b'{"n": '),
    ("too deep", "PUT", f"{PERSON}/5", {**JSON, "auth": "admin"}, DEEP),
    ("text", "PUT", f"{PERSON}/5", {"content-type": "text/plain", "auth": "admin"}, b"n=1"),
    ("no content type", "PUT", f"{PERSON}/5", {"auth": "admin"}, b'{"n": 1}'),
    ("empty body", "PUT", f"{PERSON}/5", {**JSON, "auth": "admin"}, b""),
    ("a list", "PUT", f"{PERSON}/5", {**JSON, "auth": "admin"}, b"[1]"),
    ("long name", "PUT", f"{PERSON}/5", {**JSON, "auth": "admin"}, b'{"' + b"n" * 200 + b'": 1}'),
    (
        "too large",
        "PUT",
        f"{PERSON}/5",
        {**JSON, "auth": "admin"},
        b'{"n": "' + b"x" * 2**20 + b'"}',
    ),
    ("wrong method", "PATCH", f"{PERSON}/5", {**JSON, "auth": "admin"}, b"{}"),
]


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def credentials(workspace: TestWorkspace) -> dict[str, str]:
    site = workspace.workspace.workspace_id
    return {
        "admin": basic(site, workspace.token),
        "reader": basic(site, workspace.key(["attributes:read"])),
        "writer": basic(site, workspace.key(["attributes:write"])),
        "bearer": f"Bearer {workspace.token}",
        "garbled": "Basic !!!",
        "no colon": "Basic " + base64.b64encode(b"just-a-user").decode(),
        "other site": basic("ws_somewhere_else", workspace.token),
        "unknown key": basic(site, "not-a-key"),
    }


@pytest.fixture
def twin_apps(backend: LiveBackend) -> tuple[FastAPI, FastAPI]:
    return twins(backend)


def test_identify_answers_as_it_did_through_fastapi(
    backend: LiveBackend, twin_apps: tuple[FastAPI, FastAPI]
) -> None:
    lean, through_fastapi = twin_apps
    assert ("PUT", f"{PERSON}/{{identifier}}") in lean_routes(lean)
    assert not lean_routes(through_fastapi)
    expected = answers(backend, through_fastapi, CASES, credentials)
    found = answers(backend, lean, CASES, credentials)
    for name, *_ in CASES:
        assert found[name] == expected[name], name
    assert found["added"] == {"status": 200, "headers": found["added"]["headers"], "body": "{}"}
    assert found["no credentials"]["status"] == 401
    assert found["no credentials"]["headers"]["www-authenticate"] == 'Basic realm="customerio"'
    assert found["malformed"]["status"] == 400
    assert found["malformed"]["body"].startswith('{"meta":{"error":')
