"""The segment builder's form: rows of conditions joined by all/any, as a predicate tree.

The form only shapes the tree; the segments service checks it against the catalog and
converts every value, exactly as it does for `POST /v1/segments/preview`.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from attrium.attributes.models import Definition
from attrium.core.errors import FieldError
from attrium.segments.predicates import (
    IDENTIFIERS,
    LIST_OPS,
    OPS_OF_TYPE,
    PRESENCE_OPS,
    Op,
)

MATCHES = ("all", "any")
MAX_ROWS = 50
IDENTIFIER_PREFIX = "identifier:"
ATTRIBUTE_PREFIX = "attribute:"
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_ROW_FIELD = re.compile(r"predicate\.(?:all|any)\.(\d+)(?:\.(\w+))?")


@dataclass
class ConditionRow:
    subject: str  # "attribute:NAME" or "identifier:email"
    op: str
    value: str = ""

    def ops(self, definitions: Mapping[str, Definition]) -> list[str]:
        """The operators that fit the subject, in a stable order."""
        if self.subject.startswith(IDENTIFIER_PREFIX):
            return [Op.EXISTS.value, Op.NOT_EXISTS.value]
        definition = definitions.get(self.subject.removeprefix(ATTRIBUTE_PREFIX))
        if definition is None:
            return []
        fitting = OPS_OF_TYPE[definition.type]
        return [op.value for op in Op if op in fitting]

    @property
    def takes_value(self) -> bool:
        return self.op not in {op.value for op in PRESENCE_OPS}

    def tree(self) -> dict[str, Any]:
        if self.subject.startswith(IDENTIFIER_PREFIX):
            return {"identifier": self.subject.removeprefix(IDENTIFIER_PREFIX), "op": self.op}
        node: dict[str, Any] = {
            "attribute": self.subject.removeprefix(ATTRIBUTE_PREFIX),
            "op": self.op,
        }
        if self.takes_value:
            node["value"] = self._value()
        return node

    def _value(self) -> Any:
        text = self.value.strip()
        if self.op in {op.value for op in LIST_OPS}:
            return [part.strip() for part in text.split(",") if part.strip()]
        if self.op == Op.WITHIN_LAST_DAYS.value and _NUMBER.fullmatch(text):
            return float(text) if "." in text else int(text)
        if self.op == Op.SIZE.value and text.isdigit():
            return int(text)  # an array's length; the form takes exact lengths only
        return text or None


@dataclass
class SegmentForm:
    match: str = "all"
    rows: list[ConditionRow] = field(default_factory=list)
    name: str = ""
    description: str = ""

    def predicate(self) -> dict[str, Any]:
        return {self.match: [row.tree() for row in self.rows]}

    def subjects(self, definitions: Mapping[str, Definition]) -> list[tuple[str, str]]:
        """(value, label) of everything a condition can be about."""
        attributes = [
            (ATTRIBUTE_PREFIX + name, f"{name} ({definitions[name].type.value})")
            for name in sorted(definitions)
        ]
        identifiers = [(IDENTIFIER_PREFIX + name, f"identifier: {name}") for name in IDENTIFIERS]
        return attributes + identifiers

    def fit(self, definitions: Mapping[str, Definition]) -> None:
        """Give each row a subject and an operator that fit the catalog."""
        for row in self.rows:
            if not row.ops(definitions):
                row.subject = self.subjects(definitions)[0][0]
            allowed = row.ops(definitions)
            if row.op not in allowed:
                row.op = allowed[0]

    def new_row(self, definitions: Mapping[str, Definition]) -> None:
        if len(self.rows) < MAX_ROWS:
            # "exists" needs no value, so a new row counts at once instead of erring.
            self.rows.append(ConditionRow(self.subjects(definitions)[0][0], Op.EXISTS.value))
            self.fit(definitions)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _texts(form: FormData, name: str) -> list[str]:
    return [value if isinstance(value, str) else "" for value in form.getlist(name)]


def read_form(form: FormData) -> SegmentForm:
    match = _text(form, "match")
    rows = [
        ConditionRow(subject, op, value)
        for subject, op, value in zip(
            _texts(form, "subject"), _texts(form, "op"), _texts(form, "value"), strict=False
        )
    ]
    removed = _text(form, "action").removeprefix("remove:")
    if removed.isdigit() and int(removed) < len(rows):
        del rows[int(removed)]
    return SegmentForm(
        match=match if match in MATCHES else "all",
        rows=rows[:MAX_ROWS],
        name=_text(form, "name").strip(),
        description=_text(form, "description").strip(),
    )


def errors_by_row(errors: tuple[FieldError, ...]) -> tuple[dict[int, list[str]], list[str]]:
    """The service's field errors, placed on the row they name (or the whole form)."""
    on_rows: dict[int, list[str]] = {}
    general: list[str] = []
    for field_error in errors:
        found = _ROW_FIELD.fullmatch(field_error.field)
        if found:
            on_rows.setdefault(int(found.group(1)), []).append(field_error.message)
        else:
            general.append(field_error.message)
    return on_rows, general
