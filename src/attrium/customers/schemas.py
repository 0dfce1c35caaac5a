"""Wire models for customers."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, PlainValidator
from pydantic_core import PydanticCustomError

from attrium.core.schemas import InputModel, ProblemDetail
from attrium.customers.identity import IdentifierKind
from attrium.customers.models import Customer, CustomerWrite
from attrium.customers.timing import event_time
from attrium.devices.schemas import DeviceOut

AttributeMap = dict[str, Any]


def _event_time(value: Any) -> str:
    try:
        return event_time(value)
    except ValueError as error:
        raise PydanticCustomError("timestamp.format", str(error)) from None


# RFC 3339 text with an offset, or Unix seconds; kept as `customers.timing` time text.
EventTime = Annotated[str, BeforeValidator(_event_time, json_schema_input_type=str | int | float)]


def _no_removals(values: AttributeMap) -> AttributeMap:
    if any(value is None for value in values.values()):
        raise PydanticCustomError(
            "set_once.null", "set_once sets values; remove an attribute through attributes"
        )
    return values


class CustomerIn(InputModel):
    id: str | None = Field(
        default=None, description="external id; changeable when addressed by profile"
    )
    email: str | None = None
    phone: str | None = Field(default=None, description="E.164, such as +19148440001")
    anonymous_id: str | None = None
    custom_identifiers: dict[str, str | None] | None = None
    attributes: AttributeMap | None = Field(
        default=None, description="merged in: new keys added, existing updated, null removes"
    )
    update_only: bool = Field(default=False, description="never create a customer")
    timestamp: EventTime | None = Field(
        default=None,
        description="when the data is from (RFC 3339 or Unix seconds): per attribute, "
        "an older write leaves a newer value; default: now",
    )
    set_once: Annotated[AttributeMap, AfterValidator(_no_removals)] | None = Field(
        default=None,
        description="attributes set only where the customer holds no value",
    )

    def to_write(self) -> CustomerWrite:
        """Only the identifiers the body names; null means remove."""
        given = self.model_fields_set
        return CustomerWrite(
            identifiers={
                kind: getattr(self, name) for name, kind in _IDENTIFIER_FIELDS if name in given
            },
            custom_identifiers=dict(self.custom_identifiers) if self.custom_identifiers else {},
            attributes=dict(self.attributes) if self.attributes else {},
            update_only=self.update_only,
            timestamp=self.timestamp,
            set_once=self.set_once or None,
        )


# Built once: every item of a batch (and every PUT) reads it.
_IDENTIFIER_FIELDS = (
    ("id", IdentifierKind.ID),
    ("email", IdentifierKind.EMAIL),
    ("phone", IdentifierKind.PHONE),
    ("anonymous_id", IdentifierKind.ANONYMOUS_ID),
)


class CustomerOut(BaseModel):
    id: str | None
    profile_id: str
    email: str | None
    phone: str | None
    anonymous_id: str | None
    custom_identifiers: dict[str, str]
    attributes: AttributeMap
    created_at: datetime | None = Field(
        description="null in a write's answer to a key without attributes:read"
    )
    updated_at: datetime | None = Field(
        description="null in a write's answer to a key without attributes:read"
    )


class CustomerProfileOut(CustomerOut):
    devices: list[DeviceOut] | None = Field(
        default=None, description="its devices, in id order (absent in an as-of read)"
    )
    as_of: datetime | None = Field(
        default=None, description="an as-of read's instant: the profile as it was then"
    )


def customer_body(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "profile_id": customer.profile_id,
        "email": customer.email,
        "phone": customer.phone,
        "anonymous_id": customer.anonymous_id,
        "custom_identifiers": customer.custom_identifiers,
        "attributes": customer.attributes,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
    }


class CustomerPage(BaseModel):
    items: list[CustomerOut]
    next_cursor: str | None


class AttributesOut(BaseModel):
    attributes: AttributeMap


MAX_BATCH_ITEMS = 1000


def _item_as_sent(item: Any) -> Any:
    return item


# Documented as the item it should be, but taken as sent: `customers.items` reads each
# item, so that an item breaking a rule is refused alone rather than the whole request.
BatchItem = Annotated[Any, PlainValidator(_item_as_sent, json_schema_input_type=CustomerIn)]


class BatchIn(InputModel):
    customers: list[BatchItem] = Field(
        min_length=1,
        max_length=MAX_BATCH_ITEMS,
        description="each an NDJSON import line: the PUT body, addressed by its id "
        "(else its email, phone or anonymous_id)",
    )


class BatchResult(BaseModel):
    status: int = Field(description="201 created, 200 updated, else the refusal's status")
    customer: CustomerOut | None = Field(default=None, description="the customer as written")
    problem: ProblemDetail | None = Field(
        default=None, description="why the item was refused: what its PUT would have answered"
    )


class BatchOut(BaseModel):
    results: list[BatchResult] = Field(description="one per item, in the items' order")
