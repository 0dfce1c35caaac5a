"""A segment's members as NDJSON or CSV, produced batch by batch.

CSV text cells that a spreadsheet would run as a formula are escaped (`core.csvcells`).
"""

import csv
import io
from collections.abc import AsyncIterator, Iterable, Mapping
from enum import StrEnum
from typing import Any, Protocol

from attrium.attributes.models import Definition
from attrium.attributes.values import AttributeType
from attrium.core.clock import isoformat
from attrium.core.csvcells import escape_cell
from attrium.core.jsonio import dump
from attrium.customers.models import Customer
from attrium.customers.schemas import customer_body


class ExportSource(Protocol):
    """Customers to export, batch by batch; `attribute_names` are the CSV's columns,
    `nested_types` the type (object, array) of those whose cells are JSON text."""

    @property
    def attribute_names(self) -> list[str]: ...

    @property
    def nested_types(self) -> Mapping[str, str]: ...

    def batches(self) -> AsyncIterator[list[Customer]]: ...


IDENTITY_COLUMNS = ["profile_id", "id", "email", "phone", "anonymous_id"]
TRAILING_COLUMNS = ["custom_identifiers", "created_at", "updated_at"]


class ExportFormat(StrEnum):
    NDJSON = "ndjson"
    CSV = "csv"


MEDIA_TYPES = {ExportFormat.NDJSON: "application/x-ndjson", ExportFormat.CSV: "text/csv"}


async def ndjson_lines(export: ExportSource) -> AsyncIterator[bytes]:
    async for batch in export.batches():
        yield b"".join(dump(customer_body(customer)) + b"\n" for customer in batch)


async def csv_rows(export: ExportSource) -> AsyncIterator[bytes]:
    """A header (identifiers, one column per catalog attribute), then one row per member."""
    attribute_columns = [
        _attribute_column(name, export.nested_types.get(name)) for name in export.attribute_names
    ]
    yield _csv_text([IDENTITY_COLUMNS + attribute_columns + TRAILING_COLUMNS])
    async for batch in export.batches():
        yield _csv_text([_csv_row(customer, export.attribute_names) for customer in batch])


def _attribute_column(name: str, nested_type: str | None) -> str:
    """The header of an attribute: typed `:object`/`:array` so that its JSON cells
    import back as the object or array they spell."""
    return f"attributes.{name}:{nested_type}" if nested_type else f"attributes.{name}"


def nested_types_of(definitions: Iterable[Definition]) -> dict[str, str]:
    return {
        definition.name: definition.type.value
        for definition in definitions
        if definition.type in (AttributeType.OBJECT, AttributeType.ARRAY)
    }


def _csv_text(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


def _csv_row(customer: Customer, attribute_names: list[str]) -> list[str]:
    identity = [customer.profile_id, customer.id, customer.email, customer.phone]
    identity.append(customer.anonymous_id)
    attributes = [_cell(customer.attributes.get(name)) for name in attribute_names]
    custom = dump(customer.custom_identifiers).decode() if customer.custom_identifiers else ""
    trailing = [custom, isoformat(customer.created_at), isoformat(customer.updated_at)]
    return [_cell(value) for value in identity] + attributes + [_cell(value) for value in trailing]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return dump(value).decode()  # a number literal (`-5`) is no formula: left as it is
    if isinstance(value, dict | list):
        return dump(value).decode()  # JSON text starts with { or [: never a formula
    return escape_cell(str(value))
