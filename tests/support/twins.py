"""Twin apps on one backend: one serving its lean routes lean, one handing them to FastAPI.

A lean route must answer as FastAPI answered: send the same requests through both, in
two fresh workspaces, and compare everything but generated ids and times.
"""

import re
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from fastapi import FastAPI

from attrium.app import create_app
from attrium.core.middleware import FrontDoor
from tests.support.backends import LiveBackend
from tests.support.workspaces import TestWorkspace, new_workspace

# (name, method, path, headers, body)
Case = tuple[str, str, str, dict[str, str], bytes | None]
ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
TIME = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+Z")


def app_of(backend: LiveBackend, **settings: Any) -> FastAPI:
    """An app on the backend's database, called in-process (no lifespan)."""
    app = create_app(backend.settings.model_copy(update=settings), backend.db)
    app.state.db = backend.db
    return app


def serving_through_fastapi(app: FastAPI) -> FastAPI:
    """`app`, with its lean routes handed to FastAPI like every other route."""
    app.middleware_stack = app.build_middleware_stack()
    assert isinstance(app.middleware_stack, FrontDoor)
    for leaf in app.middleware_stack.table.leaves:
        leaf.lean = None
    return app


def lean_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path template) of every route `app` serves lean."""
    stack = app.middleware_stack or app.build_middleware_stack()
    assert isinstance(stack, FrontDoor)
    return {
        (method, leaf.template or "")
        for leaf in stack.table.leaves
        if leaf.lean is not None
        for method in leaf.methods or ()
    }


def twins(backend: LiveBackend) -> tuple[FastAPI, FastAPI]:
    return app_of(backend), serving_through_fastapi(app_of(backend))


def answers(
    backend: LiveBackend,
    app: FastAPI,
    cases: Sequence[Case],
    credentials: Callable[[TestWorkspace], dict[str, str]],
) -> dict[str, dict[str, Any]]:
    """Each case's answer, in a fresh workspace. A case's header `auth` names an entry
    of `credentials(workspace)`, sent as its `Authorization` header."""
    workspace = new_workspace(backend)
    authorization = credentials(workspace)

    async def send_all() -> dict[str, dict[str, Any]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            found = {}
            for name, method, path, headers, body in cases:
                sent = {key: value for key, value in headers.items() if key != "auth"}
                if "auth" in headers:
                    sent["Authorization"] = authorization[headers["auth"]]
                answer = await client.request(method, path, headers=sent, content=body)
                found[name] = comparable(answer, workspace.workspace.workspace_id)
            return found

    return backend.run(send_all())


def comparable(answer: httpx.Response, workspace_id: str) -> dict[str, Any]:
    """What must be equal: everything but generated ids and times."""
    text = TIME.sub("<time>", ULID.sub("<ulid>", answer.text.replace(workspace_id, "<workspace>")))
    headers = {
        name: ULID.sub("<ulid>", value)
        for name, value in answer.headers.items()
        if name not in ("x-request-id", "date", "content-length")
    }
    return {"status": answer.status_code, "headers": headers, "body": text}
