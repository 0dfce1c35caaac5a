"""An import line over ATTRIUM_MAX_IMPORT_LINE_BYTES is rejected alone, on both backends."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.backends import BACKEND_NAMES, LiveBackend, start_backend
from tests.support.imports import import_rows, ndjson, rejected
from tests.support.workspaces import new_workspace

LINE_LIMIT = 1024
LONG_NOTE = "a" * 100 * 1024


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def strict_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveBackend]:
    """A server whose import lines are at most 1 KiB."""
    folder = Path(tmp_path_factory.mktemp(f"long-lines-{request.param}"))
    live = start_backend(request.param, folder, max_import_line_bytes=LINE_LIMIT)
    yield live
    live.stop()


@pytest.fixture
def strict_api(strict_backend: LiveBackend) -> Iterator[httpx.Client]:
    with new_workspace(strict_backend).client() as client:
        yield client


def test_an_over_long_ndjson_line_is_rejected_and_the_rest_imports(
    strict_api: httpx.Client,
) -> None:
    rows = [
        {"id": "a", "attributes": {"plan": "pro"}},
        {"id": "long", "attributes": {"note": LONG_NOTE}},
        {"id": "b", "attributes": {"plan": "basic"}},
    ]
    job = import_rows(strict_api, ndjson(rows), compress=True)
    _assert_only_the_long_row_rejected(strict_api, job, line=2)


def test_an_over_long_csv_record_is_rejected_and_the_rest_imports(
    strict_api: httpx.Client,
) -> None:
    content = f'id,plan,note\r\na,pro,\r\nlong,,"{LONG_NOTE}\nmore"\r\nb,basic,\r\n'
    job = import_rows(strict_api, content.encode(), import_format="csv", compress=True)
    _assert_only_the_long_row_rejected(strict_api, job, line=3)


def test_an_over_long_csv_header_fails_the_job(strict_api: httpx.Client) -> None:
    header = ",".join(f"column{n}" for n in range(200))
    job = import_rows(strict_api, f"{header}\r\n".encode(), import_format="csv")
    assert job["state"] == "failed"
    assert "ATTRIUM_MAX_IMPORT_LINE_BYTES" in job["error"]


def _assert_only_the_long_row_rejected(api: httpx.Client, job: dict, line: int) -> None:
    assert (job["state"], job["applied"], job["rejected"]) == ("done", 2, 1), job
    assert api.get("/v1/customers/a").json()["attributes"] == {"plan": "pro"}
    assert api.get("/v1/customers/b").json()["attributes"] == {"plan": "basic"}
    assert api.get("/v1/customers/long").status_code == 404
    [error] = rejected(api, job["id"])
    assert (error["line"], error["applied"], error["customer"]) == (line, False, None)
    assert error["errors"][0]["field"] == "line"
    assert error["errors"][0]["rule"] == "line.too_long"
    assert f"limit of {LINE_LIMIT}" in error["reason"]
    assert "ATTRIUM_MAX_IMPORT_LINE_BYTES" in error["reason"]
