"""The browsable API page (`/docs`), served whole by the process, and `/` leading to the UI.

FastAPI's page loads Swagger UI from a CDN: without internet (a closed network, a
laptop on a train) it stays blank. Here the same page takes Swagger UI's files from
the `swagger-ui-bundle` package, under `/docs/assets/`.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

DOCS_PATH = "/docs"
ASSETS_PATH = f"{DOCS_PATH}/assets"

PROBLEM_MEDIA_TYPE = "application/problem+json"
_PROBLEM_SCHEMA = {"$ref": "#/components/schemas/ProblemDetail"}
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_FASTAPI_VALIDATION_REF = "#/components/schemas/HTTPValidationError"


def install(app: FastAPI, home: str) -> None:
    """`/docs` and its assets, and `/` redirecting to `home`."""
    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        )

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse(home, status_code=307)


def with_problem_media_types(spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` with every problem documented under `application/problem+json`.

    FastAPI files a response model under the route's own media type (JSON), and adds
    its own 422 (`HTTPValidationError`) to a route that declares none; the server
    answers both as RFC 9457 problems (core/problems.py).
    """
    for operation in _operations(spec):
        for response in operation.get("responses", {}).values():
            _move_problem_schema(response.get("content", {}))
        validation = operation.get("responses", {}).get("422", {})
        if validation.get("content", {}).get("application/json", {}).get("schema") == {
            "$ref": _FASTAPI_VALIDATION_REF
        }:
            validation["content"] = {PROBLEM_MEDIA_TYPE: {"schema": dict(_PROBLEM_SCHEMA)}}
    schemas = spec.get("components", {}).get("schemas", {})
    if _FASTAPI_VALIDATION_REF not in str(spec.get("paths", {})):
        for name in _FASTAPI_VALIDATION_SCHEMAS:
            schemas.pop(name, None)
    return spec


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        operation
        for path in spec.get("paths", {}).values()
        for operation in path.values()
        if isinstance(operation, dict)
    ]


def _move_problem_schema(content: dict[str, Any]) -> None:
    if PROBLEM_MEDIA_TYPE not in content:
        return
    json_content = content.get("application/json", {})
    if json_content.get("schema") == _PROBLEM_SCHEMA:
        content[PROBLEM_MEDIA_TYPE] = {**content[PROBLEM_MEDIA_TYPE], **json_content}
        del content["application/json"]
