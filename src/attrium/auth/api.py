"""Authentication for the native API, and the key management routes."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from attrium.auth import service
from attrium.auth.actor import Actor
from attrium.auth.guessing import client_address, count_failure, refuse_while_guessing
from attrium.auth.schemas import KeyCreated, KeyIn, KeyList, KeyOut
from attrium.auth.scopes import Scope
from attrium.core import metrics
from attrium.core.database import Database
from attrium.core.deps import DatabaseDep
from attrium.core.errors import RateLimited, Unauthenticated
from attrium.core.http import JsonRoute
from attrium.core.lean import LeanCall, provides
from attrium.core.ratelimit import Limit, RateLimiter
from attrium.core.schemas import PROBLEM_RESPONSES

bearer = HTTPBearer(auto_error=False, description="An Attrium API key")


def requires(
    scope: Scope | None = None, limit: Limit = Limit.NATIVE
) -> Callable[..., Awaitable[Actor]]:
    """A dependency that authenticates the bearer key, charged to `limit`, and checks one scope."""

    async def authenticated(
        request: Request,
        db: DatabaseDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Actor:
        token = credentials.credentials if credentials is not None else None
        limiter: RateLimiter = request.app.state.rate_limiter
        client = client_address(request.scope)
        return await _authorized(db, limiter, _state(request), client, token, scope, limit)

    async def authenticated_lean(call: LeanCall) -> Actor:
        token = _bearer_token(call.header(b"authorization"))
        client = client_address(call.scope)
        return await _authorized(
            call.db, call.rate_limiter, call.state, client, token, scope, limit
        )

    provides(authenticated, authenticated_lean)
    return authenticated


async def _authorized(
    db: Database,
    limiter: RateLimiter,
    state: dict[str, Any],
    client: str,
    token: str | None,
    scope: Scope | None,
    limit: Limit,
) -> Actor:
    if token is None:
        raise Unauthenticated("send an API key as 'Authorization: Bearer <key>'")
    actor = await _authenticate(db, limiter, state, client, token, limit)
    if scope is not None:
        actor.require(scope)
    return actor


def _bearer_token(authorization: str | None) -> str | None:
    """The key of an `Authorization: Bearer` header, read as FastAPI's `HTTPBearer` reads it."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if not (authorization and scheme and token) or scheme.lower() != "bearer":
        return None
    return token


def _state(request: Request) -> dict[str, Any]:
    """The request's state as a dict (what `request.state` reads and writes)."""
    state: dict[str, Any] = request.scope.setdefault("state", {})
    return state


async def authenticate_request(
    request: Request, db: Database, token: str, limit: Limit = Limit.NATIVE
) -> Actor:
    """The actor of a key, however a route receives it; charges the key one request."""
    limiter: RateLimiter = request.app.state.rate_limiter
    client = client_address(request.scope)
    return await _authenticate(db, limiter, _state(request), client, token, limit)


async def authenticate_call(call: LeanCall, token: str, limit: Limit = Limit.NATIVE) -> Actor:
    """`authenticate_request` for a lean route's provider."""
    client = client_address(call.scope)
    return await _authenticate(call.db, call.rate_limiter, call.state, client, token, limit)


async def _authenticate(
    db: Database,
    limiter: RateLimiter,
    state: dict[str, Any],
    client: str,
    token: str,
    limit: Limit,
) -> Actor:
    await refuse_while_guessing(limiter, client)
    try:
        actor = await service.authenticate(db, token)
    except Unauthenticated:
        await count_failure(limiter, client)
        raise
    state["key_id"] = actor.key_id
    await _charge(limiter, state, actor, limit)
    return actor


async def take_rate_limit_token(request: Request, actor: Actor, limit: Limit) -> None:
    """Charge the key one request under `limit`; refuse with 429 when its bucket is empty."""
    limiter: RateLimiter = request.app.state.rate_limiter
    await _charge(limiter, _state(request), actor, limit)


async def _charge(limiter: RateLimiter, state: dict[str, Any], actor: Actor, limit: Limit) -> None:
    decision = await limiter.take(actor.key_id or actor.workspace_id, limit)
    if decision is None:
        return
    state["rate_limit_headers"] = decision.headers()
    if not decision.allowed:
        metrics.RATE_LIMITED.inc()
        raise RateLimited(
            f"this key may make {decision.limit} requests in a burst; retry later",
            decision.retry_after_seconds,
        )


WorkspaceAdmin = Annotated[Actor, Depends(requires(Scope.WORKSPACE_ADMIN))]

router = APIRouter(
    prefix="/v1/keys", tags=["keys"], route_class=JsonRoute, responses=PROBLEM_RESPONSES
)


@router.get("", response_model=KeyList)
async def list_keys(db: DatabaseDep, actor: WorkspaceAdmin) -> KeyList:
    keys = await service.list_keys(db, actor.workspace)
    return KeyList(items=[KeyOut.of(key) for key in keys])


@router.post("", status_code=201, response_model=KeyCreated)
async def create_key(body: KeyIn, db: DatabaseDep, actor: WorkspaceAdmin) -> KeyCreated:
    key, token = await service.create_key(
        db, actor.workspace, body.scopes, body.label, created_by=actor
    )
    return KeyCreated(**KeyOut.of(key).model_dump(), token=token)


@router.delete("/{key_id}", status_code=204)
async def revoke_key(key_id: str, db: DatabaseDep, actor: WorkspaceAdmin) -> Response:
    await service.revoke_key(db, key_id, actor.workspace, revoked_by=actor)
    return Response(status_code=204)
