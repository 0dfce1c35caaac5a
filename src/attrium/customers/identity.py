"""Identifiers: how a customer is named, parsed from paths and bodies and normalised.

A customer is addressed in a path by its external id, or by a prefixed reference:
`email:…`, `phone:…`, `anonymous_id:…`, `profile:…`, `id:…` (an external id that
itself contains a colon), or `custom:NAME:VALUE`.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from attrium.core.errors import FieldError, ValidationFailed

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
_E164 = re.compile(r"\+[1-9]\d{1,14}")
_ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
_CUSTOM_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


class IdentifierKind(StrEnum):
    ID = "id"
    EMAIL = "email"
    PHONE = "phone"
    ANONYMOUS_ID = "anonymous_id"
    PROFILE = "profile"
    CUSTOM = "custom"


# The identifiers stored in a column of their own, in the order that decides which
# customer a request means when its body names several.
COLUMN_KINDS = (
    IdentifierKind.ID,
    IdentifierKind.EMAIL,
    IdentifierKind.PHONE,
    IdentifierKind.ANONYMOUS_ID,
)


# Values of the write path are not frozen, only never changed: a frozen dataclass's
# __init__ sets each field through object.__setattr__ (about 4x the cost), and a
# write builds several of them.
@dataclass(slots=True, unsafe_hash=True)
class CustomerRef:
    kind: IdentifierKind
    value: str
    name: str | None = None  # the identifier's name, for CUSTOM

    def __str__(self) -> str:
        if self.kind is IdentifierKind.ID:
            return self.value if ":" not in self.value else f"id:{self.value}"
        if self.kind is IdentifierKind.CUSTOM:
            return f"custom:{self.name}:{self.value}"
        return f"{self.kind.value}:{self.value}"

    @property
    def field(self) -> str:
        return (
            f"custom_identifiers.{self.name}"
            if self.kind is IdentifierKind.CUSTOM
            else self.kind.value
        )


def parse_ref(text: str, max_bytes: int) -> CustomerRef:
    """A path segment as a reference, normalised; ValidationFailed if it cannot be one."""
    prefix, separator, rest = text.partition(":")
    if not separator:
        return CustomerRef(
            IdentifierKind.ID, normalise(IdentifierKind.ID, text, "customer_id", max_bytes)
        )
    if prefix == IdentifierKind.CUSTOM:
        name, separator, value = rest.partition(":")
        if not separator:
            raise _invalid("customer_id", "format", "write custom identifiers as custom:NAME:VALUE")
        return custom_ref(name, value, "customer_id", max_bytes)
    try:
        kind = IdentifierKind(prefix)
    except ValueError:
        return CustomerRef(
            IdentifierKind.ID, normalise(IdentifierKind.ID, text, "customer_id", max_bytes)
        )
    return CustomerRef(kind, normalise(kind, rest, "customer_id", max_bytes))


def custom_ref(name: str, value: str, field: str, max_bytes: int) -> CustomerRef:
    check_custom_name(name, field)
    return CustomerRef(
        IdentifierKind.CUSTOM, normalise(IdentifierKind.CUSTOM, value, field, max_bytes), name
    )


def check_custom_name(name: str, field: str) -> None:
    if not _CUSTOM_NAME.fullmatch(name):
        raise _invalid(
            field,
            "custom_identifier.name",
            "custom identifier names are 1 to 64 letters, digits, '_', '.' or '-'",
        )


def normalise(kind: IdentifierKind, value: object, field: str, max_bytes: int) -> str:
    """The canonical form of an identifier value, or ValidationFailed naming the field."""
    if not isinstance(value, str):
        raise _invalid(field, "type", f"{kind.value} must be a string")
    if kind is IdentifierKind.EMAIL:
        return _email(value, field)
    if kind is IdentifierKind.PHONE:
        return _phone(value, field)
    if kind is IdentifierKind.PROFILE:
        if not _ULID.fullmatch(value.upper()):
            raise _invalid(field, "profile_id.format", "profile ids are 26-character ULIDs")
        return value.upper()
    return _opaque(kind, value, field, max_bytes)


def _opaque(kind: IdentifierKind, value: str, field: str, max_bytes: int) -> str:
    if not value:
        raise _invalid(field, "empty", f"{kind.value} cannot be empty")
    if _CONTROL_CHARACTERS.search(value):
        raise _invalid(field, "control_character", f"{kind.value} cannot hold control characters")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise _invalid(field, "encoding", f"{kind.value} is not valid Unicode") from None
    if size > max_bytes:
        raise _invalid(field, "too_long", f"{kind.value} is {size} bytes; at most {max_bytes}")
    return value


def _email(value: str, field: str) -> str:
    candidate = value.strip().lower()
    try:
        validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as error:
        raise _invalid(field, "email.format", f"not a valid email address: {error}") from None
    return candidate


def _phone(value: str, field: str) -> str:
    message = "phone numbers must be in E.164 format, such as +19148440001"
    if not _E164.fullmatch(value):
        raise _invalid(field, "phone.e164", message)
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise _invalid(field, "phone.e164", message) from None
    if not phonenumbers.is_possible_number(number):
        raise _invalid(field, "phone.e164", f"{value} is not a possible phone number")
    return value


def _invalid(field: str, rule: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, [FieldError(field, rule, message)])
