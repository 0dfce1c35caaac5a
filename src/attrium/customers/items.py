"""What one customer item means: the write an NDJSON import line or a batch item asks for.

An item is the body of `PUT /v1/customers/{id}` plus the identifier that addresses
its customer: `id`, else `email`, `phone` or `anonymous_id` (the first one given).
Imports (each NDJSON line, each CSV record once made an item) and the batch route
(`POST /v1/customers/batch`) both read items here, so an item means the same thing
on either path.
"""

from typing import Any

from pydantic import ValidationError

from attrium.core.errors import FieldError, ValidationFailed
from attrium.core.problems import field_errors
from attrium.customers.batches import BatchWrite
from attrium.customers.identity import COLUMN_KINDS, CustomerRef, IdentifierKind, normalise
from attrium.customers.schemas import CustomerIn


class RowInvalid(ValidationFailed):
    """An item refused before any write; `ref` is the customer it names, if it names one."""

    def __init__(self, error: ValidationFailed, ref: CustomerRef | None) -> None:
        super().__init__(error.detail, error.errors)
        self.ref = ref


def write_of(parsed: Any, max_identifier_bytes: int) -> BatchWrite:
    """The write an item asks for; RowInvalid (naming its customer when it can) if the
    item breaks the PUT body's rules, ValidationFailed if it addresses no customer."""
    try:
        body = CustomerIn.model_validate(parsed)
    except ValidationError as error:
        errors = field_errors(error.errors(), CustomerIn)
        failed = ValidationFailed(f"{errors[0].field}: {errors[0].message}", errors)
        raise RowInvalid(failed, named_ref(parsed, max_identifier_bytes)) from None
    write = body.to_write()
    return BatchWrite(_ref_of(write.identifiers, max_identifier_bytes), write)


def named_ref(parsed: Any, max_bytes: int) -> CustomerRef | None:
    """The customer a refused item names, when its identifiers are usable at all."""
    if not isinstance(parsed, dict):
        return None
    identifiers: dict[IdentifierKind, str | None] = {
        kind: value for kind in COLUMN_KINDS if isinstance(value := parsed.get(kind.value), str)
    }
    try:
        return _ref_of(identifiers, max_bytes)
    except ValidationFailed:
        return None


def _ref_of(identifiers: dict[IdentifierKind, str | None], max_bytes: int) -> CustomerRef:
    """The customer an item addresses: its id, else its first other identifier."""
    for kind in COLUMN_KINDS:
        value = identifiers.get(kind)
        if value is not None:
            return CustomerRef(kind, normalise(kind, value, kind.value, max_bytes))
    message = "each row needs an id (or an email, phone or anonymous_id)"
    raise ValidationFailed(message, [FieldError("id", "required", message)])
