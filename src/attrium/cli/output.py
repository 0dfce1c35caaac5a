"""Where remote commands write: tables and JSON on stdout, messages for people on stderr."""

import sys
from typing import Any

import orjson
from pydantic import BaseModel
from rich.console import Console
from rich.table import Column

# Exit statuses: 0 done, 1 refused or failed, 2 a usage error (click's own), and this:
# the command ran to its end but some rows or lines were refused (see the report file).
EXIT_REJECTED = 3

people = Console(stderr=True)
output = Console(highlight=False, soft_wrap=True)


def whole(header: str) -> Column:
    """A table column never wrapped nor cut (ids other commands take, times, types): in
    a narrow terminal rich narrows the other columns, which wrap, instead."""
    return Column(header, no_wrap=True)


def folded(header: str) -> Column:
    """A column whose long words (JSON, scope lists) fold onto more lines, never "…"."""
    return Column(header, overflow="fold")


def counted(number: int, noun: str) -> str:
    """`1 row`, `2 rows`."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def print_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    elif isinstance(value, list):
        value = [
            item.model_dump(mode="json") if isinstance(item, BaseModel) else item for item in value
        ]
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


def cell(value: Any) -> str:
    """A value for a table cell: strings as they are, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()
