"""Remote commands on many customers: import, export, and segments."""

import gzip
import sys
import tempfile
from collections.abc import Iterator
from io import BufferedReader
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from attrium.cli.connection import DEFAULT_URL, AsJson, Key, Url, connected
from attrium.cli.output import EXIT_REJECTED, counted, folded, output, people, print_json, whole
from attrium.client import Client, ImportJob

segments_app = typer.Typer(
    help="List, create, count and export segments on a server.", no_args_is_help=True
)

ExportFormat = Annotated[str, typer.Option("--format", help="ndjson or csv")]
Target = Annotated[Path | None, typer.Option(help="write here instead of stdout")]


# Segments.


@segments_app.command("list")
def list_segments(url: Url = DEFAULT_URL, key: Key = "", as_json: AsJson = False) -> None:
    """Every saved segment."""
    with connected(url, key) as client:
        segments = list(client.iter_segments())
    if as_json:
        print_json(segments)
        return
    table = Table(whole("id"), folded("name"), "description", folded("predicate"))
    for segment in segments:
        predicate = orjson.dumps(segment.predicate).decode()
        table.add_row(segment.id, segment.name, segment.description or "", predicate)
    output.print(table)


@segments_app.command("create")
def create_segment(
    name: str,
    predicate: Annotated[str, typer.Argument(help='JSON, such as {"attribute": "age", ...}')],
    description: Annotated[str | None, typer.Option(help="what the segment holds")] = None,
    url: Url = DEFAULT_URL,
    key: Key = "",
    as_json: AsJson = False,
) -> None:
    """Save a segment; prints its id alone on stdout (see docs/segments.md for predicates)."""
    try:
        parsed = orjson.loads(predicate)
    except orjson.JSONDecodeError as error:
        raise typer.BadParameter(f"the predicate is not JSON: {error}") from None
    with connected(url, key) as client:
        segment = client.create_segment(name, parsed, description=description)
    if as_json:
        print_json(segment)
    else:
        print(segment.id)


@segments_app.command("count")
def count_segment(
    segment_id: str, url: Url = DEFAULT_URL, key: Key = "", as_json: AsJson = False
) -> None:
    """How many customers a segment holds now."""
    with connected(url, key) as client:
        count = client.count_segment(segment_id)
    if as_json:
        print_json({"count": count})
    else:
        output.print(count)


@segments_app.command("export")
def export_segment(
    segment_id: str,
    export_format: ExportFormat = "ndjson",
    to: Target = None,
    url: Url = DEFAULT_URL,
    key: Key = "",
) -> None:
    """A segment's members as NDJSON or CSV, streamed to stdout or a file."""
    with connected(url, key) as client:
        _write(client.export_segment(segment_id, format=export_format), to)


# Export.


def export(
    export_format: ExportFormat = "ndjson",
    segment: Annotated[str | None, typer.Option(help="only this segment's members")] = None,
    to: Target = None,
    url: Url = DEFAULT_URL,
    key: Key = "",
) -> None:
    """Every customer as NDJSON or CSV, streamed to stdout or a file."""
    with connected(url, key) as client:
        _write(client.export_customers(format=export_format, segment=segment), to)


def _write(chunks: Iterator[bytes], to: Path | None) -> None:
    if to is None:
        for chunk in chunks:
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
        return
    # Written beside the target and renamed at the end: a refused or broken export
    # (an unknown segment, a dropped connection) leaves no file, not an empty one.
    try:
        with tempfile.NamedTemporaryFile("wb", dir=to.parent, delete=False) as target:
            partial = Path(target.name)
            try:
                for chunk in chunks:
                    target.write(chunk)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
        partial.replace(to)
    except OSError as error:
        people.print(f"[red]error:[/red] cannot write {to}: {error.strerror or error}")
        raise typer.Exit(1) from None
    people.print(f"exported to {to}")


# Import.


def import_file(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="NDJSON or CSV, maybe .gz")
    ],
    import_format: Annotated[
        str | None, typer.Option("--format", help="ndjson or csv (default: from the name)")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="where rejected rows go (default: FILE.rejected.ndjson)")
    ] = None,
    url: Url = DEFAULT_URL,
    key: Key = "",
    as_json: AsJson = False,
) -> None:
    """Upload a file, follow the job with a progress bar, and summarise it.

    Exits 3 when rows were rejected (they are written to the report file), 1 when the
    job failed.
    """
    total = _count_rows(file, import_format)
    with connected(url, key) as client:
        people.print(f"uploading {file} ({file.stat().st_size:,} bytes)")
        job = client.start_import(file, format=import_format)
        job = _follow(client, job, total, quiet=as_json)
        rejected = list(client.iter_import_errors(job.id)) if job.rejected or job.conflicts else []
    if as_json:
        print_json(job)
    else:
        output.print(_summary(job))
    if rejected:
        target = report or file.with_name(file.name + ".rejected.ndjson")
        with target.open("wb") as sink:
            for row in rejected:
                sink.write(orjson.dumps(row.model_dump(mode="json")) + b"\n")
        people.print(
            f"{counted(job.rejected, 'row')} rejected, {job.conflicts:,} applied with an"
            f" identifier conflict; see {target}"
        )
    if job.state == "failed":
        people.print(f"[red]import failed:[/red] {job.error}")
        raise typer.Exit(1)
    if job.rejected:
        raise typer.Exit(EXIT_REJECTED)


def _count_rows(file: Path, import_format: str | None) -> int | None:
    """Data rows in the file (lines; less the CSV header), for the bar's total and ETA."""
    try:
        with open_maybe_gzipped(file) as source:
            lines = sum(1 for line in source if line.strip())
    except (OSError, EOFError):
        return None
    is_csv = (import_format or "").lower() == "csv" or ".csv" in file.suffixes
    return max(0, lines - 1) if is_csv else lines


def open_maybe_gzipped(file: Path) -> gzip.GzipFile | BufferedReader:
    with file.open("rb") as source:
        gzipped = source.read(2) == b"\x1f\x8b"
    if gzipped:
        return gzip.GzipFile(file, "rb")
    return file.open("rb")


def _follow(client: Client, job: ImportJob, total: int | None, *, quiet: bool) -> ImportJob:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]} rows/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=people, disable=quiet) as progress:
        task = progress.add_task(job.id, total=total, rate="-")

        def show(current: ImportJob) -> None:
            rate = f"{current.rows_per_second:,.0f}" if current.rows_per_second else "-"
            progress.update(
                task,
                completed=current.rows_read,
                rate=rate,
                description=f"{current.id} {current.state}",
            )

        return client.wait_for_import(job.id, poll_seconds=0.25, on_progress=show)


def _summary(job: ImportJob) -> Table:
    table = Table(whole("import"), whole(job.id), show_header=True)
    elapsed = (
        (job.finished_at - job.started_at).total_seconds()
        if job.finished_at and job.started_at
        else None
    )
    rows = [
        ("state", job.state),
        ("rows read", f"{job.rows_read:,}"),
        ("applied", f"{job.applied:,}"),
        ("rejected", f"{job.rejected:,}"),
        ("identifier conflicts", f"{job.conflicts:,}"),
        ("rows per second", f"{job.rows_per_second:,.0f}" if job.rows_per_second else "-"),
        ("seconds", f"{elapsed:.1f}" if elapsed is not None else "-"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table
