"""The remote commands of `attrium` against the live server, on both backends."""

import os
import subprocess
import sys
from pathlib import Path

import orjson

from tests.support.docs import code_blocks
from tests.support.workspaces import TestWorkspace

ATTRIUM = [sys.executable, "-m", "attrium"]


def remote_env(workspace: TestWorkspace, columns: int = 200) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ATTRIUM_")}
    env["ATTRIUM_URL"] = workspace.backend.base_url
    env["ATTRIUM_KEY"] = workspace.token
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = str(columns)
    return env


def attrium(
    workspace: TestWorkspace, *arguments: str, cwd: Path | None = None, columns: int = 200
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ATTRIUM, *arguments],
        env=remote_env(workspace, columns),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_customers_put_get_delete(workspace: TestWorkspace) -> None:
    put = attrium(workspace, "customers", "put", "c1", "plan=pro", "age=36", "--email", "a@b.co")
    assert put.returncode == 0, put.stderr
    got = attrium(workspace, "customers", "get", "c1", "--json")
    assert orjson.loads(got.stdout)["attributes"] == {"plan": "pro", "age": 36}
    table = attrium(workspace, "customers", "get", "email:a@b.co")
    assert "attributes.plan" in table.stdout
    assert "pro" in table.stdout
    assert attrium(workspace, "customers", "delete", "c1").returncode == 0
    missing = attrium(workspace, "customers", "get", "c1")
    assert missing.returncode == 1
    assert "404" in missing.stderr


def test_a_refused_write_names_the_field(workspace: TestWorkspace) -> None:
    refused = attrium(workspace, "customers", "put", "c1", "--email", "not-an-email")
    assert refused.returncode == 1
    assert "email" in refused.stderr


def test_import_reports_rejected_rows_and_exits_3(workspace: TestWorkspace, tmp_path: Path) -> None:
    source = tmp_path / "rows.ndjson"
    source.write_text('{"id": "c1", "attributes": {"n": 1}}\n{"id": "c2", "x": 1}\n')
    done = attrium(workspace, "import", str(source), "--json")
    assert done.returncode == 3, done.stderr
    assert "1 row rejected," in done.stderr
    job = orjson.loads(done.stdout)
    assert (job["applied"], job["rejected"]) == (1, 1)
    report = tmp_path / "rows.ndjson.rejected.ndjson"
    [row] = [orjson.loads(line) for line in report.read_text().splitlines()]
    assert row["line"] == 2


def test_customers_batch_sends_chunks_and_reports_refused_lines(
    workspace: TestWorkspace, tmp_path: Path
) -> None:
    source = tmp_path / "batch.ndjson"
    lines = [orjson.dumps({"id": f"c{n}", "attributes": {"n": n}}).decode() for n in range(5)]
    lines[2] = '{"id": "c2", "attributes": {"n": "two"}}'
    source.write_text("\n".join([*lines, "not json", "[1]", '{"id": "c0", "attributes": {}}']))
    done = attrium(workspace, "customers", "batch", str(source), "--size", "2", "--json")
    assert done.returncode == 3, done.stderr
    results = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert [(r["line"], r["status"]) for r in results] == [
        (1, 201),
        (2, 201),
        (3, 422),
        (4, 201),
        (5, 201),
        (6, 400),
        (7, 400),
        (8, 200),
    ]
    assert results[0]["customer"]["attributes"] == {"n": 0}
    refused = (tmp_path / "batch.ndjson.refused.ndjson").read_text().splitlines()
    assert [orjson.loads(line)["line"] for line in refused] == [3, 6, 7]
    table = attrium(workspace, "customers", "batch", str(source), "--size", "1000")
    assert table.returncode == 3
    assert "3 lines refused" in table.stderr
    assert "updated" in table.stdout
    too_many = attrium(workspace, "customers", "batch", str(source), "--size", "1001")
    assert too_many.returncode == 2  # click's usage error
    assert "--size" in too_many.stderr


def test_the_documented_examples_run(workspace: TestWorkspace, tmp_path: Path) -> None:
    for block in code_blocks("cli.md", "sh"):
        ran = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block],
            env=remote_env(workspace),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert ran.returncode == 0, f"{block}\n{ran.stdout}\n{ran.stderr}"


def test_catalog_and_activity_as_tables_and_json(workspace: TestWorkspace) -> None:
    define = attrium(workspace, "attributes", "define", "tier", "enum", "--values", "gold,silver")
    assert define.returncode == 0, define.stderr
    assert attrium(workspace, "customers", "put", "c1", "tier=gold").returncode == 0
    assert attrium(workspace, "customers", "put", "c1", "tier=silver").returncode == 0
    table = attrium(workspace, "attributes", "list").stdout
    assert "tier" in table
    assert "enum" in table
    [entry] = orjson.loads(attrium(workspace, "attributes", "list", "--json").stdout)
    assert (entry["name"], entry["enum_values"], entry["customer_count"]) == (
        "tier",
        ["gold", "silver"],
        1,
    )
    newest = orjson.loads(attrium(workspace, "activity", "c1", "--limit", "1", "--json").stdout)
    assert [e["changes"]["attributes"] for e in newest] == [
        {"tier": {"old": "gold", "new": "silver"}}
    ]
    history = attrium(workspace, "activity", "c1").stdout
    assert "customer_created" in history
    assert "silver" in history


def test_segments_create_list_count_export(workspace: TestWorkspace, tmp_path: Path) -> None:
    for number in range(4):
        assert attrium(workspace, "customers", "put", f"c{number}", f"n={number}").returncode == 0
    predicate = '{"attribute": "n", "op": "gte", "value": 2}'
    created = attrium(workspace, "segments", "create", "high", predicate)
    assert created.returncode == 0, created.stderr
    segment_id = created.stdout.strip()
    assert segment_id in attrium(workspace, "segments", "list").stdout
    assert attrium(workspace, "segments", "count", segment_id).stdout.strip() == "2"
    counted = attrium(workspace, "segments", "count", segment_id, "--json")
    assert orjson.loads(counted.stdout) == {"count": 2}
    members = attrium(workspace, "segments", "export", segment_id).stdout.splitlines()
    assert sorted(orjson.loads(line)["id"] for line in members) == ["c2", "c3"]
    target = tmp_path / "high.csv"
    exported = attrium(
        workspace, "export", "--segment", segment_id, "--format", "csv", "--to", str(target)
    )
    assert exported.returncode == 0, exported.stderr
    assert len(target.read_text().splitlines()) == 3
    missing = attrium(workspace, "segments", "count", "no-such-segment")
    assert missing.returncode == 1
    assert "404" in missing.stderr


def test_import_shows_progress_and_a_summary_table(
    workspace: TestWorkspace, tmp_path: Path
) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("id,n:number\nc1,1\nc2,two\nc3,3\n")
    report = tmp_path / "rejected.ndjson"
    done = attrium(workspace, "import", str(source), "--report", str(report))
    assert done.returncode == 3, done.stderr
    assert "rows/s" in done.stderr
    for label in ("state", "rows read", "applied", "rejected", "rows per second"):
        assert label in done.stdout
    assert "done" in done.stdout
    [row] = [orjson.loads(line) for line in report.read_text().splitlines()]
    assert row["line"] == 3
    assert [error["field"] for error in row["errors"]] == ["attributes.n"]
    clean = tmp_path / "clean.ndjson"
    clean.write_text('{"id": "c4"}\n')
    assert attrium(workspace, "import", str(clean)).returncode == 0


def test_an_export_that_fails_leaves_no_file_and_says_why(
    workspace: TestWorkspace, tmp_path: Path
) -> None:
    unknown = tmp_path / "unknown.ndjson"
    refused = attrium(workspace, "export", "--segment", "seg_unknown", "--to", str(unknown))
    assert refused.returncode == 1
    assert "404" in refused.stderr
    assert not unknown.exists()
    assert list(tmp_path.iterdir()) == []  # nor a partial file beside it
    nowhere = attrium(workspace, "export", "--to", str(tmp_path / "missing" / "x.csv"))
    assert nowhere.returncode == 1
    assert "Traceback" not in nowhere.stderr
    assert "cannot write" in nowhere.stderr


def test_an_empty_key_is_refused_before_any_request(workspace: TestWorkspace) -> None:
    env = remote_env(workspace) | {"ATTRIUM_KEY": ""}
    refused = subprocess.run(
        [*ATTRIUM, "customers", "get", "c1"], env=env, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert "no API key" in refused.stderr


def test_narrow_tables_keep_ids_times_and_types_whole(workspace: TestWorkspace) -> None:
    """In 80 columns rich cut `seg_…` ids and activity times to "…", which no command
    takes back; the long columns wrap instead."""
    long_text = " ".join(["a long description of who is in this segment"] * 3)
    predicate = orjson.dumps({"attribute": "a_rather_long_attribute_name", "op": "exists"})
    created = attrium(
        workspace, "segments", "create", "s" * 30, predicate.decode(), "--description", long_text
    )
    segment_id = created.stdout.strip()
    assert segment_id in attrium(workspace, "segments", "list", columns=80).stdout
    put = attrium(workspace, "customers", "put", "c1", f"note={long_text}", "--email", "a@b.co")
    assert put.returncode == 0, put.stderr
    [entry] = orjson.loads(attrium(workspace, "activity", "c1", "--json").stdout)
    history = attrium(workspace, "activity", "c1", columns=80).stdout
    assert entry["created_at"][:19] in history
    assert entry["type"] in history
