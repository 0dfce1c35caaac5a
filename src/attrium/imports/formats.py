"""Import files: records out of (maybe gzipped) bytes, and customer writes out of records.

NDJSON: one JSON object per line, the body of `PUT /v1/customers/{id}` plus `"id"`.
CSV: a header row naming identifier columns (`id`, `email`, `phone`, `anonymous_id`,
`custom_identifiers.NAME`) and attribute columns (`NAME` or `attributes.NAME`), each
optionally typed as `NAME:TYPE` (`:object` and `:array` cells are JSON text); an empty
cell leaves the attribute alone. The
columns of a CSV export (`profile_id`, `created_at`, `updated_at`, and
`custom_identifiers` as a JSON object) are understood too, so an export imports back;
a data cell escaped against formulas (`'=...`, `core.csvcells`) loses its escape.
"""

import csv
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

from attrium.attributes.values import AttributeType, InvalidValue, TypeSpec, canonical_value
from attrium.core.csvcells import unescape_cell
from attrium.core.errors import FieldError, MalformedRequest, ValidationFailed
from attrium.customers.batches import BatchWrite
from attrium.customers.identity import COLUMN_KINDS, IdentifierKind
from attrium.customers.items import RowInvalid, named_ref, write_of
from attrium.imports.records import Record, RecordTooLong

_UTF8_BOM = b"\xef\xbb\xbf"
_CUSTOM_PREFIX = "custom_identifiers."
_CUSTOM_JSON_COLUMN = "custom_identifiers"  # a JSON object, as the export writes it
_ATTRIBUTE_PREFIX = "attributes."
_EXPORT_ONLY_COLUMNS = {"profile_id", "created_at", "updated_at"}  # kept by the server
_NESTED_TYPES = (AttributeType.OBJECT, AttributeType.ARRAY)


class ImportFormat(StrEnum):
    NDJSON = "ndjson"
    CSV = "csv"


def text_of(record: Record, first: bool) -> str:
    if isinstance(record, RecordTooLong):
        message = (
            f"the line has {record.size} bytes, over the limit of {record.limit}"
            " (ATTRIUM_MAX_IMPORT_LINE_BYTES); it was skipped"
        )
        raise _row_error("line", "line.too_long", message)
    if first and record.startswith(_UTF8_BOM):
        record = record[len(_UTF8_BOM) :]
    try:
        return record.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        raise _row_error("line", "encoding", "the line is not valid UTF-8") from None


def _row_error(field: str, rule: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, [FieldError(field, rule, message)])


def ndjson_write(text: str, max_identifier_bytes: int) -> BatchWrite:
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise MalformedRequest(
            f"the line is not valid JSON: {error}", [FieldError("line", "json.syntax", str(error))]
        ) from None
    if not isinstance(parsed, dict):
        raise _row_error("line", "json.object", "each line must be a JSON object")
    return write_of(parsed, max_identifier_bytes)


@dataclass(frozen=True, slots=True)
class CsvColumn:
    name: str
    identifier: IdentifierKind | None = None
    custom_name: str | None = None
    attribute_type: AttributeType | None = None
    ignored: bool = False


def csv_header(text: str) -> list[CsvColumn]:
    columns = [_column(cell.strip()) for cell in _cells(text)]
    seen: set[str] = set()
    for column in columns:
        if not column.name:
            raise _row_error("header", "column.empty", "every CSV column needs a name")
        if column.name in seen:
            raise _row_error("header", "column.duplicate", f"column {column.name!r} appears twice")
        seen.add(column.name)
    return columns


def _column(cell: str) -> CsvColumn:
    if cell in {kind.value for kind in COLUMN_KINDS}:
        return CsvColumn(cell, identifier=IdentifierKind(cell))
    if cell in _EXPORT_ONLY_COLUMNS:
        return CsvColumn(cell, ignored=True)
    if cell == _CUSTOM_JSON_COLUMN:
        return CsvColumn(cell, IdentifierKind.CUSTOM)
    if cell.startswith(_CUSTOM_PREFIX):
        return CsvColumn(cell, IdentifierKind.CUSTOM, custom_name=cell[len(_CUSTOM_PREFIX) :])
    cell = cell.removeprefix(_ATTRIBUTE_PREFIX)
    name, separator, type_name = cell.rpartition(":")
    if separator and type_name in {kind.value for kind in AttributeType}:
        return CsvColumn(name, attribute_type=AttributeType(type_name))
    return CsvColumn(cell)


def _cells(text: str) -> list[str]:
    try:
        return next(csv.reader([text]), [])
    except csv.Error as error:
        raise _row_error("line", "csv.syntax", f"the CSV record is malformed: {error}") from None


def csv_write(text: str, columns: list[CsvColumn], max_identifier_bytes: int) -> BatchWrite:
    cells = _cells(text)
    if len(cells) != len(columns):
        raise _row_error(
            "line", "csv.columns", f"the record has {len(cells)} cells; the header {len(columns)}"
        )
    body: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    errors: list[FieldError] = []
    for column, escaped in zip(columns, cells, strict=True):
        cell = unescape_cell(escaped)
        if cell == "" or column.ignored:
            continue
        if column.custom_name is not None:
            custom[column.custom_name] = cell
        elif column.identifier is IdentifierKind.CUSTOM:
            custom.update(_custom_map(cell))
        elif column.identifier is not None:
            body[column.identifier.value] = cell
        else:
            try:
                attributes[column.name] = _typed(column, cell)
            except InvalidValue as invalid:
                errors.append(invalid.error)
    if errors:
        failed = ValidationFailed(errors[0].message, errors)
        raise RowInvalid(failed, named_ref(body, max_identifier_bytes))
    body["custom_identifiers"] = custom
    body["attributes"] = attributes
    return write_of(body, max_identifier_bytes)


def _custom_map(cell: str) -> dict[str, Any]:
    try:
        parsed = orjson.loads(cell)
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        message = "the custom_identifiers column holds a JSON object of names and values"
        raise _row_error(_CUSTOM_JSON_COLUMN, "json.object", message)
    return parsed


def _typed(column: CsvColumn, cell: str) -> Any:
    """A typed column's cell as the JSON value it spells (enums stay strings; objects and
    arrays are JSON text)."""
    if column.attribute_type in (None, AttributeType.STRING, AttributeType.ENUM):
        return cell
    assert column.attribute_type is not None
    field = f"attributes.{column.name}"
    if column.attribute_type in _NESTED_TYPES:
        return _nested_cell(field, cell, column.attribute_type)
    spec = TypeSpec(column.attribute_type)
    return canonical_value(field, cell, spec, column.name)


def _nested_cell(field: str, cell: str, attribute_type: AttributeType) -> Any:
    """An `:object` or `:array` cell: JSON text of that kind (the write checks its limits)."""
    kind = dict if attribute_type is AttributeType.OBJECT else list
    try:
        parsed = orjson.loads(cell)
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, kind):
        kind_name = attribute_type.value
        message = f"a cell of an :{kind_name} column holds the JSON text of an {kind_name}"
        raise InvalidValue(FieldError(field, f"type.{kind_name}", message))
    return parsed
