"""The naming rule shared by saved workspace resources (segments, templates)."""

from attrium.core.errors import AlreadyExists, FieldError, ValidationFailed

MAX_NAME_CHARS = 200


def check_name(kind: str, name: str) -> None:
    """A saved resource's name: 1 to MAX_NAME_CHARS characters, not only spaces."""
    if not name.strip() or len(name) > MAX_NAME_CHARS:
        message = f"a {kind} name has 1 to {MAX_NAME_CHARS} characters, not only spaces"
        raise ValidationFailed(message, [FieldError("name", "name.length", message)])


def name_taken(kind: str, name: str) -> AlreadyExists:
    message = f"a {kind} named {name!r} exists"
    return AlreadyExists(message, [FieldError("name", "name.unique", message)])
