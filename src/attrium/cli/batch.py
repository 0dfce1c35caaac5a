"""`attrium customers batch FILE`: an NDJSON file sent through the batch route.

Unlike `attrium import` (an upload the server applies as a job), each chunk of lines
is one `POST /v1/customers/batch`, answered once committed: for files small enough
to wait for, or for scripts that want each line's result at once.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from attrium.cli.bulk import open_maybe_gzipped
from attrium.cli.connection import DEFAULT_URL, AsJson, Key, Url, connected
from attrium.cli.output import EXIT_REJECTED, counted, output, people
from attrium.client import BatchResult, Client

MAX_BATCH_ITEMS = 1000

Line = tuple[int, dict[str, Any] | str]  # (line number, the item, or why it is no item)


@dataclass(slots=True)
class _Tally:
    created: int = 0
    updated: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)

    def count(self, line: int, result: BatchResult) -> dict[str, Any]:
        shown = {"line": line, **result.model_dump(mode="json", exclude_none=True)}
        if result.status == 201:
            self.created += 1
        elif result.status == 200:
            self.updated += 1
        else:
            self.refused.append(shown)
        return shown


def batch_customers(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="NDJSON, maybe .gz")],
    size: Annotated[
        int, typer.Option("--size", min=1, max=MAX_BATCH_ITEMS, help="lines per request")
    ] = MAX_BATCH_ITEMS,
    report: Annotated[
        Path | None, typer.Option(help="where refused lines go (default: FILE.refused.ndjson)")
    ] = None,
    url: Url = DEFAULT_URL,
    key: Key = "",
    as_json: AsJson = False,
) -> None:
    """Create or update the customers of an NDJSON file (one import line each), `--size`
    lines per request; `--json` prints each line's result as a JSON line.

    Exits 3 when lines were refused (written to the report file), 1 when the server
    refused a request (the lines before it were applied).
    """
    tally = _Tally()
    with connected(url, key) as client:
        for chunk in _chunks(_lines(file), size):
            for line, result in _send(client, chunk):
                shown = tally.count(line, result)
                if as_json:
                    print(orjson.dumps(shown).decode())
    if not as_json:
        output.print(_summary(tally))
    if tally.refused:
        target = report or file.with_name(file.name + ".refused.ndjson")
        with target.open("wb") as sink:
            for shown in tally.refused:
                sink.write(orjson.dumps(shown) + b"\n")
        people.print(f"{counted(len(tally.refused), 'line')} refused; see {target}")
        raise typer.Exit(EXIT_REJECTED)


def _lines(file: Path) -> Iterator[Line]:
    with open_maybe_gzipped(file) as source:
        for number, raw in enumerate(source, start=1):
            if not raw.strip():
                continue
            try:
                item = orjson.loads(raw)
            except orjson.JSONDecodeError as error:
                yield number, f"the line is not valid JSON: {error}"
                continue
            yield number, item if isinstance(item, dict) else "each line must be a JSON object"


def _chunks(lines: Iterator[Line], size: int) -> Iterator[list[Line]]:
    chunk: list[Line] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _send(client: Client, chunk: list[Line]) -> Iterator[tuple[int, BatchResult]]:
    """Each line's result, in order; a line that is no item is refused here, alone."""
    items = [item for _, item in chunk if isinstance(item, dict)]
    results = iter(client.batch_customers(items) if items else [])
    for line, item in chunk:
        yield line, next(results) if isinstance(item, dict) else _malformed(item)


def _malformed(reason: str) -> BatchResult:
    problem = {"type": "/problems/malformed-request", "status": 400, "detail": reason}
    return BatchResult(status=400, problem=problem)


def _summary(tally: _Tally) -> Table:
    table = Table("batch", "lines")
    table.add_row("created", f"{tally.created:,}")
    table.add_row("updated", f"{tally.updated:,}")
    table.add_row("refused", f"{len(tally.refused):,}")
    return table
