"""Ids that are string-formatted per-workspace integers: `"1"`, or `topic_1` with a prefix."""

import re

from attrium.core.errors import FieldError, ValidationFailed

_NUMBER = re.compile(r"[1-9][0-9]{0,9}")


def parse_number(text: str, field: str, what: str, prefix: str = "") -> int:
    """The number in a string-formatted id; ValidationFailed naming `field` otherwise."""
    candidate = text[len(prefix) :] if text.startswith(prefix) else ""
    if not _NUMBER.fullmatch(candidate):
        message = f"{what} ids are {prefix}<n> with n a positive integer, such as {prefix}1"
        raise ValidationFailed(message, [FieldError(field, "id.format", message)])
    return int(candidate)
