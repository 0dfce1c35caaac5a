"""`/openapi.json` is pinned: a route, parameter or schema that changes shows here.

The hot write routes are served without FastAPI's per-request machinery; this
snapshot is what keeps their documentation exactly as it was. When an API change is
meant, regenerate the snapshot and review its diff:

    ATTRIUM_UPDATE_OPENAPI_SNAPSHOT=1 .venv/bin/python -m pytest tests/core/test_openapi_snapshot.py
"""

import json
import os
from pathlib import Path

from attrium.app import create_app
from attrium.core.settings import Settings

SNAPSHOT = Path(__file__).parent / "snapshots" / "openapi.json"


def _spec(tmp_path: Path) -> str:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}"))
    return json.dumps(app.openapi(), indent=1, sort_keys=True) + "\n"


def test_openapi_matches_the_snapshot(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    if os.environ.get("ATTRIUM_UPDATE_OPENAPI_SNAPSHOT"):
        SNAPSHOT.write_text(spec)
    assert spec == SNAPSHOT.read_text(), (
        "/openapi.json changed; if that is meant, regenerate the snapshot (see this module)"
    )


def test_no_route_documents_a_problem_as_plain_json(tmp_path: Path) -> None:
    spec = json.loads(_spec(tmp_path))
    documented = [
        (path, method, status, media_type)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        for media_type, content in response.get("content", {}).items()
        if status.startswith(("4", "5")) and media_type == "application/json"
        if "ProblemDetail" in json.dumps(content) or "ValidationError" in json.dumps(content)
    ]
    assert documented == []
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_every_native_422_is_a_problem(tmp_path: Path) -> None:
    spec = json.loads(_spec(tmp_path))
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            validation = operation["responses"].get("422")
            if validation is None or path.startswith("/compat/"):
                continue
            assert validation["content"] == {
                "application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/ProblemDetail"}
                }
            }, path
