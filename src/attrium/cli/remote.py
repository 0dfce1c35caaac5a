"""`attrium` commands that talk to a server through the SDK (`--url`, `--key`).

Tables for people by default; `--json` prints what the API answered, for scripts.
Exit codes: 0 done, 1 the server refused (the problem is printed), 2 an import
rejected rows (they are written to a report file).
"""

import gzip
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from io import BufferedReader
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from pydantic import BaseModel
from rich.console import Console
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

from attrium.client import ApiError, AttriumClientError, Client, ImportJob

people = Console(stderr=True)
output = Console(highlight=False, soft_wrap=True)

Url = Annotated[
    str, typer.Option("--url", envvar="ATTRIUM_URL", help="server URL", show_default=True)
]
Key = Annotated[
    str, typer.Option("--key", envvar="ATTRIUM_KEY", help="API key", show_default=False)
]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
DEFAULT_URL = "http://127.0.0.1:8000"

customers_app = typer.Typer(help="Read and write customers on a server.", no_args_is_help=True)
attributes_app = typer.Typer(help="The attribute catalog on a server.", no_args_is_help=True)
segments_app = typer.Typer(help="Count and export segments on a server.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(customers_app, name="customers")
    app.add_typer(attributes_app, name="attributes")
    app.add_typer(segments_app, name="segments")
    app.command("import")(import_file)
    app.command("export")(export)
    app.command("activity")(activity)


@contextmanager
def connected(url: str, key: str) -> Iterator[Client]:
    """A client; a problem from the server ends the command with its detail and exit 1."""
    try:
        with Client(url, key) as client:
            yield client
    except ApiError as error:
        fields = f" ({', '.join(error.fields)})" if error.errors else ""
        people.print(f"[red]error {error.status}:[/red] {error.detail}{fields}")
        raise typer.Exit(1) from None
    except AttriumClientError as error:
        people.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from None


def print_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    elif isinstance(value, list):
        value = [
            item.model_dump(mode="json") if isinstance(item, BaseModel) else item for item in value
        ]
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


# Customers.


@customers_app.command("get")
def get_customer(
    ref: Annotated[str, typer.Argument(help="external id or email:…, phone:…, profile:…")],
    url: Url = DEFAULT_URL,
    key: Key = "",
    as_json: AsJson = False,
) -> None:
    """Show one customer."""
    with connected(url, key) as client:
        customer = client.get_customer(ref)
    if as_json:
        print_json(customer)
        return
    table = Table("field", "value", title=f"customer {ref}")
    for name in ("id", "profile_id", "email", "phone", "anonymous_id"):
        table.add_row(name, _cell(getattr(customer, name)))
    for name, value in customer.custom_identifiers.items():
        table.add_row(f"custom_identifiers.{name}", value)
    for name, value in sorted(customer.attributes.items()):
        table.add_row(f"attributes.{name}", _cell(value))
    output.print(table)


@customers_app.command("put")
def put_customer(
    ref: Annotated[str, typer.Argument(help="external id or a prefixed reference")],
    attributes: Annotated[
        list[str] | None, typer.Argument(help="NAME=VALUE pairs (VALUE as JSON if it parses)")
    ] = None,
    email: Annotated[str | None, typer.Option(help="set the email")] = None,
    phone: Annotated[str | None, typer.Option(help="set the phone (E.164)")] = None,
    url: Url = DEFAULT_URL,
    key: Key = "",
    as_json: AsJson = False,
) -> None:
    """Create or update a customer: `attrium customers put c1 plan=pro age=36`."""
    body: dict[str, Any] = {"attributes": dict(_pair(text) for text in attributes or [])}
    if email is not None:
        body["email"] = email
    if phone is not None:
        body["phone"] = phone
    with connected(url, key) as client:
        customer = client.put_customer(ref, **body)
    if as_json:
        print_json(customer)
    else:
        people.print(f"saved {ref} (profile {customer.profile_id})")


def _pair(text: str) -> tuple[str, Any]:
    name, separator, raw = text.partition("=")
    if not separator:
        raise typer.BadParameter(f"{text!r}: write attributes as NAME=VALUE")
    try:
        return name, orjson.loads(raw)
    except orjson.JSONDecodeError:
        return name, raw


@customers_app.command("delete")
def delete_customer(
    ref: Annotated[str, typer.Argument(help="external id or a prefixed reference")],
    url: Url = DEFAULT_URL,
    key: Key = "",
) -> None:
    """Erase a customer."""
    with connected(url, key) as client:
        client.delete_customer(ref)
    people.print(f"deleted {ref}")


# The catalog.


@attributes_app.command("list")
def list_attributes(url: Url = DEFAULT_URL, key: Key = "", as_json: AsJson = False) -> None:
    """The catalog: each attribute, its type, source and how many customers hold it."""
    with connected(url, key) as client:
        entries = client.list_attributes()
    if as_json:
        print_json(entries)
        return
    table = Table("name", "type", "source", "customers", "default", "description")
    for entry in entries:
        table.add_row(
            entry.name,
            entry.type,
            entry.source,
            str(entry.customer_count),
            _cell(entry.default),
            entry.description or "",
        )
    output.print(table)


@attributes_app.command("define")
def define_attribute(
    name: str,
    attribute_type: Annotated[
        str, typer.Argument(metavar="TYPE", help="string, number, boolean, datetime or enum")
    ],
    values: Annotated[str | None, typer.Option(help="enum values, comma-separated")] = None,
    description: Annotated[str | None, typer.Option(help="what the attribute means")] = None,
    url: Url = DEFAULT_URL,
    key: Key = "",
    as_json: AsJson = False,
) -> None:
    """Declare an attribute before any value is written."""
    enum_values = [value.strip() for value in values.split(",")] if values else None
    with connected(url, key) as client:
        entry = client.define_attribute(
            name, attribute_type, enum_values=enum_values, description=description
        )
    if as_json:
        print_json(entry)
    else:
        people.print(f"defined {entry.name} ({entry.type})")


# Segments.


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
    export_format: Annotated[str, typer.Option("--format", help="ndjson or csv")] = "ndjson",
    to: Annotated[Path | None, typer.Option(help="write here instead of stdout")] = None,
    url: Url = DEFAULT_URL,
    key: Key = "",
) -> None:
    """A segment's members, streamed."""
    _stream_export(url, key, export_format, segment_id, to)


# Bulk.


def export(
    export_format: Annotated[str, typer.Option("--format", help="ndjson or csv")] = "ndjson",
    segment: Annotated[str | None, typer.Option(help="only this segment's members")] = None,
    to: Annotated[Path | None, typer.Option(help="write here instead of stdout")] = None,
    url: Url = DEFAULT_URL,
    key: Key = "",
) -> None:
    """Every customer as NDJSON or CSV, streamed to stdout or a file."""
    _stream_export(url, key, export_format, segment, to)


def _stream_export(
    url: str, key: str, export_format: str, segment: str | None, to: Path | None
) -> None:
    with connected(url, key) as client:
        chunks = client.export_customers(format=export_format, segment=segment)
        if to is None:
            for chunk in chunks:
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return
        with to.open("wb") as target:
            for chunk in chunks:
                target.write(chunk)
    people.print(f"exported to {to}")


def activity(
    ref: Annotated[str, typer.Argument(help="external id or a prefixed reference")],
    limit: Annotated[int, typer.Option(help="newest entries to show")] = 20,
    url: Url = DEFAULT_URL,
    key: Key = "",
    as_json: AsJson = False,
) -> None:
    """A customer's history, newest first."""
    with connected(url, key) as client:
        entries = [entry for _, entry in zip(range(limit), client.iter_activity(ref), strict=False)]
    if as_json:
        print_json(entries)
        return
    table = Table("when", "type", "attribute", "old", "new", "source", "reason")
    for entry in entries:
        table.add_row(
            entry.created_at.isoformat(timespec="seconds"),
            entry.type,
            entry.attribute or "",
            _cell(entry.old_value),
            _cell(entry.new_value),
            entry.source,
            entry.reason or "",
        )
    output.print(table)


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
    """Upload a file, follow the job with a progress bar, and summarise it."""
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
        people.print(f"{job.rejected} rows rejected; see {target}")
    if job.state == "failed":
        people.print(f"[red]import failed:[/red] {job.error}")
        raise typer.Exit(1)
    if job.rejected:
        raise typer.Exit(2)


def _count_rows(file: Path, import_format: str | None) -> int | None:
    """Data rows in the file (lines; less the CSV header), for the bar's total and ETA."""
    try:
        with _open(file) as source:
            lines = sum(1 for line in source if line.strip())
    except (OSError, EOFError):
        return None
    is_csv = (import_format or "").lower() == "csv" or ".csv" in file.suffixes
    return max(0, lines - 1) if is_csv else lines


def _open(file: Path) -> gzip.GzipFile | BufferedReader:
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
    table = Table("import", job.id, show_header=True)
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
