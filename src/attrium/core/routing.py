"""Which route answers a request, found without trying every route.

FastAPI finds a request's route by trying the app's routes one by one, in the order
they were added, through a layer of bookkeeping per included router: with some 130
routes that was half of a small request's CPU. The table flattens the same routes
once, in the same order, and files each under the literal path segments its template
starts with and the methods it takes. A request then tries only the routes that can
match it: the first full match wins, else the first route that matched all but the
method answers (405), else FastAPI's own router takes over (trailing-slash redirects,
404), exactly the order FastAPI decides in.

The chosen route is handed over the way FastAPI's router hands it over (the scope
keys its route classes read), so every route class keeps working unchanged. That
hand-over uses FastAPI internals of the pinned version; tests/core/test_routing.py
checks the table against FastAPI's own choice for every route.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from fastapi import routing as fastapi_routing
from fastapi._body_limit import wrap_app_with_body_limit
from fastapi.routing import APIRoute, APIRouter
from fastapi.telemetry._api import _route_selected
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Mount, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send

from attrium.core.http import JsonRoute, segmented_path, with_slashes
from attrium.core.lean import LeanEndpoint, is_lean

_IncludedRouter = fastapi_routing._IncludedRouter
_EffectiveRouteContext = fastapi_routing._EffectiveRouteContext
_EFFECTIVE_CONTEXT = fastapi_routing._FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY
_INCLUDED_ROUTER = fastapi_routing._FASTAPI_INCLUDED_ROUTER_KEY
_MISSING = fastapi_routing._SCOPE_MISSING
_fastapi_scope = fastapi_routing._get_fastapi_scope
_update_scope = fastapi_routing._update_scope
_apply_form_limits = fastapi_routing._apply_router_form_limits

# Where the front door leaves the route it found, for the router to use.
RESOLVED_ROUTE = "attrium.route"


@dataclass(eq=False)
class Leaf:
    """One route as FastAPI matches it: the route, and where it was included."""

    route: BaseRoute
    context: Any | None  # FastAPI's effective route context, for an included route
    branches: tuple[Any, ...]  # the included routers it sits in, outermost first
    methods: frozenset[str] | None
    template: str | None  # the path template it matches, None if it may match any path
    lean: LeanEndpoint | None = None

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self.lean is not None:
            return self._match_lean(scope)
        context = self.context
        if context is None:
            return self.route.matches(scope)
        if not isinstance(context.original_route, APIRoute):
            return context.matches(scope)  # type: ignore[no-any-return]
        # An included APIRoute matches through its inclusion's context, which FastAPI
        # passes in the scope while it tries the route.
        fastapi_scope = _fastapi_scope(scope)
        previous = fastapi_scope.get(_EFFECTIVE_CONTEXT, _MISSING)
        fastapi_scope[_EFFECTIVE_CONTEXT] = context
        try:
            return self.route.matches(scope)
        finally:
            if previous is _MISSING:
                fastapi_scope.pop(_EFFECTIVE_CONTEXT, None)
            else:
                fastapi_scope[_EFFECTIVE_CONTEXT] = previous

    def _match_lean(self, scope: Scope) -> tuple[Match, Scope]:
        """What `matches` finds for this APIRoute, without FastAPI's bookkeeping (a
        lean route is never handed to FastAPI when it matches fully)."""
        declared: Any = self.context if self.context is not None else self.route
        route_path = segmented_path(scope) if isinstance(self.route, JsonRoute) else None
        found = declared.path_regex.match(route_path or get_route_path(scope))
        if found is None:
            return Match.NONE, {}
        convertors = declared.param_convertors
        matched = {
            name: convertors[name].convert(value) for name, value in found.groupdict().items()
        }
        path_params = {**scope.get("path_params", {}), **matched}
        child_scope = {
            "endpoint": declared.endpoint,
            "path_params": with_slashes(path_params) if route_path else path_params,
            "route": self.route,
        }
        if self.methods is not None and scope["method"] not in self.methods:
            return Match.PARTIAL, child_scope
        return Match.FULL, child_scope

    async def handle(
        self, router: APIRouter, child_scope: Scope, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """What FastAPI's router does once it chose this route (APIRouter.app and
        _IncludedRouter._handle_selected)."""
        scope.setdefault("router", router)
        if not self.branches:
            _update_scope(scope, child_scope)
            path = getattr(self.route, "path_format", None)
            _route_selected(scope=scope, path=path, mount=isinstance(self.route, Mount))
            await self.route.handle(scope, receive, send)
            return
        fastapi_scope = _fastapi_scope(scope)
        for branch in self.branches:
            _apply_form_limits(scope, branch.include_context.form_limits)
            fastapi_scope[_INCLUDED_ROUTER] = branch
        _update_scope(scope, child_scope)
        context: Any = self.context
        path = getattr(context.starlette_route, "path_format", None) or context.path_format
        _route_selected(scope=scope, path=path, mount=isinstance(self.route, Mount))
        fastapi_scope[_EFFECTIVE_CONTEXT] = context
        if isinstance(context.original_route, APIRoute):
            scope["route"] = context.original_route
            await context.original_route.handle(scope, receive, send)
            return
        max_body_size = self.branches[-1].include_context.max_body_size
        await wrap_app_with_body_limit(self.route.handle, max_body_size)(scope, receive, send)


class Resolved(NamedTuple):
    leaf: Leaf
    match: Match
    child_scope: Scope


@dataclass(eq=False)
class _Node:
    """The routes whose templates start with one sequence of literal segments."""

    children: dict[str, "_Node"] = field(default_factory=dict)
    own: list[tuple[int, Leaf]] = field(default_factory=list)
    # Filled by RouteTable: this node's and its ancestors' routes, in FastAPI's order.
    candidates: list[Leaf] = field(default_factory=list)
    by_method: dict[str, list[Leaf]] = field(default_factory=dict)
    any_method: list[Leaf] = field(default_factory=list)


class RouteTable:
    """Every route of a router, in FastAPI's order, filed by literal prefix and method."""

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self.leaves = list(_leaves(router.routes, ()))
        self.root = _Node()
        for order, leaf in enumerate(self.leaves):
            self._node(_literal_segments(leaf.template)).own.append((order, leaf))
        self._fill(self.root, [])

    def resolve(self, scope: Scope) -> Resolved | None:
        """The route FastAPI would choose for this request, None if none matches."""
        node = self.root
        for segment in get_route_path(scope).split("/")[1:]:
            child = node.children.get(segment)
            if child is None:
                break
            node = child
        for leaf in node.by_method.get(scope["method"], node.any_method):
            match, child_scope = leaf.matches(scope)
            if match is Match.FULL:
                return Resolved(leaf, match, child_scope)
        # Rare: no route takes this method; the first that matches the path answers 405.
        for leaf in node.candidates:
            match, child_scope = leaf.matches(scope)
            if match is not Match.NONE:
                return Resolved(leaf, match, child_scope)
        return None

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Route the request as FastAPI's router would (installed as its middleware_stack)."""
        if scope["type"] != "http":
            await self.router.app(scope, receive, send)
            return
        resolved = scope.pop(RESOLVED_ROUTE, None) or self.resolve(scope)
        if resolved is None:
            # Trailing-slash redirects and the 404: FastAPI's own router decides.
            await self.router.app(scope, receive, send)
            return
        await resolved.leaf.handle(self.router, resolved.child_scope, scope, receive, send)

    def _node(self, segments: list[str]) -> _Node:
        node = self.root
        for segment in segments:
            node = node.children.setdefault(segment, _Node())
        return node

    def _fill(self, node: _Node, inherited: list[tuple[int, Leaf]]) -> None:
        ordered = sorted([*inherited, *node.own], key=lambda item: item[0])
        node.candidates = [leaf for _, leaf in ordered]
        node.any_method = [leaf for leaf in node.candidates if leaf.methods is None]
        methods = {method for leaf in node.candidates for method in leaf.methods or ()}
        node.by_method = {
            method: [
                leaf for leaf in node.candidates if leaf.methods is None or method in leaf.methods
            ]
            for method in methods
        }
        for child in node.children.values():
            self._fill(child, ordered)


def _leaves(routes: list[BaseRoute], branches: tuple[Any, ...]) -> Iterator[Leaf]:
    """The routes FastAPI tries, depth first through included routers, in its order."""
    for route in routes:
        if isinstance(route, _IncludedRouter):
            yield from _included_leaves(route, (*branches, route))
        else:
            yield _leaf(route, None, branches)


def _included_leaves(included: Any, branches: tuple[Any, ...]) -> Iterator[Leaf]:
    for candidate in included.effective_candidates():
        if isinstance(candidate, _IncludedRouter):
            yield from _included_leaves(candidate, (*branches, candidate))
        elif isinstance(candidate.original_route, APIRoute):
            yield _leaf(candidate.original_route, candidate, branches)
        else:
            yield _leaf(candidate.starlette_route or candidate.original_route, candidate, branches)


def _leaf(route: BaseRoute, context: Any | None, branches: tuple[Any, ...]) -> Leaf:
    methods: set[str] | None = None
    template: str | None = None
    if isinstance(route, APIRoute):
        methods = context.methods if context is not None else route.methods
        template = context.path if context is not None else route.path
    elif isinstance(route, Route):
        methods, template = route.methods, route.path
    elif isinstance(route, WebSocketRoute):
        template = route.path
    elif isinstance(route, Mount):
        template = route.path + "/{path}"
    # Like Starlette, a route with no methods takes them all.
    leaf = Leaf(route, context, branches, frozenset(methods) if methods else None, template)
    if isinstance(route, APIRoute) and is_lean(route.endpoint):
        leaf.lean = LeanEndpoint.of(route, context if context is not None else route)
    return leaf


def _literal_segments(template: str | None) -> list[str]:
    """The whole path segments a template starts with, before any parameter."""
    if template is None:
        return []
    segments = []
    for segment in template.split("/")[1:]:
        if "{" in segment:
            break
        segments.append(segment)
    return segments
