"""Optimove's request bodies, and its column types as catalog types."""

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from attrium.attributes.values import AttributeType
from attrium.core.database import dump_json

MAX_CUSTOMERS_PER_CALL = 1000
MAX_ATTRIBUTES_PER_CUSTOMER = 10

_COLUMN_TYPE = re.compile(
    r"(?P<decimal>DECIMAL\(19,4\))|(?P<integer>INT|BIGINT)|(?P<date>DATE)"
    r"|N?VARCHAR\((?P<length>[1-9]\d{0,3}|MAX)\)",
    re.IGNORECASE,
)

Scalar = str | int | float | bool


class OptimoveBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class AddAttributeRequest(OptimoveBody):
    Name: str
    Type: str = Field(description="DECIMAL(19,4), INT, BIGINT, DATE, VARCHAR(X) or NVARCHAR(X)")
    DefaultValue: Scalar | None = Field(default=None, description="shown for every customer")
    CallbackURL: str | None = None


class AttributeValue(OptimoveBody):
    RealFieldName: str
    Value: Scalar | None = Field(default=None, description="null clears the customer's value")


class CustomerValues(OptimoveBody):
    CustomerID: str | int
    Attributes: Annotated[list[AttributeValue], Field(max_length=MAX_ATTRIBUTES_PER_CUSTOMER)]


class UpdateAttributesRequest(OptimoveBody):
    CustomerNewAttributesValuesList: Annotated[
        list[CustomerValues], Field(min_length=1, max_length=MAX_CUSTOMERS_PER_CALL)
    ]
    CallbackURL: str | None = None


class UpsertCustomerRequest(OptimoveBody):
    CustomerId: str | int
    Attributes: list[AttributeValue] | None = None
    CallbackUrl: str | None = None


def native_type(column_type: str) -> tuple[AttributeType, int | None] | None:
    """The catalog type (and string length) of an Optimove column type, or None."""
    match = _COLUMN_TYPE.fullmatch(column_type.replace(" ", ""))
    if match is None:
        return None
    if match["date"]:
        return AttributeType.DATETIME, None
    if match["length"]:
        length = match["length"]
        return AttributeType.STRING, None if length.upper() == "MAX" else int(length)
    return AttributeType.NUMBER, None


def attribute_type_name(attribute_type: AttributeType, max_length: int | None) -> str:
    """The Optimove column type that holds values of a catalog type."""
    if attribute_type is AttributeType.NUMBER:
        return "DECIMAL(19,4)"
    if attribute_type is AttributeType.DATETIME:
        return "DATE"
    if attribute_type is AttributeType.BOOLEAN:
        return "BIT"
    return f"NVARCHAR({max_length})" if max_length else "NVARCHAR(MAX)"  # objects, arrays too


def scalar(value: Any) -> Any:
    """A value as Optimove's columns hold it: an object or array (written through
    another route) as its JSON text in an NVARCHAR(MAX) column."""
    return dump_json(value) if isinstance(value, dict | list) else value
