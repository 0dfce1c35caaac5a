"""Wire models shared by every domain."""

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

NUL = "\x00"
_TEXT_FIELDS = (str, str | None, list[str], list[str] | None)


class InputModel(BaseModel):
    """A request body: strict types, unknown fields refused, no NUL in its text.

    PostgreSQL stores no NUL (U+0000) in text or jsonb, and SQLite would store what a
    page then shows raw: a name, label, description or template holding one is refused
    here, for every body. Values of customer attributes and identifiers are judged by
    their own rules (one refused item of a batch is refused alone).
    """

    model_config = ConfigDict(strict=True, extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields[info.field_name] if info.field_name else None
        if field is None or field.annotation not in _TEXT_FIELDS:
            return value
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and NUL in text for text in texts):
            raise PydanticCustomError("string.nul", "text cannot hold the NUL character (U+0000)")
        return value


class ProblemDetail(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, str]] | None = None


PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ProblemDetail, "content": {"application/problem+json": {}}}
    for status in (400, 401, 403, 404, 408, 409, 413, 415, 422, 429, 503)
}
