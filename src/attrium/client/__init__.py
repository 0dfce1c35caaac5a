"""The Python SDK: `Client` (blocking) and `AsyncClient` (asyncio) over httpx.

    from attrium.client import Client

    with Client("http://127.0.0.1:8000", "atr_...") as attrium:
        attrium.put_customer("cust-1", email="ada@example.com", attributes={"plan": "pro"})

Every route of the native API is a method of both clients, declared once in
`attrium.client.endpoints` and listed in `attrium.client.methods`.

Problems the server answers are raised as `ApiError` subclasses (`NotFound`,
`ValidationFailed`, …) carrying the problem's details; 429 and 5xx answers are
retried with backoff, honouring `Retry-After`.
"""

from attrium.client.async_client import AsyncClient
from attrium.client.calls import RetryPolicy
from attrium.client.errors import (
    AlreadyExists,
    ApiError,
    AttriumClientError,
    Conflict,
    Forbidden,
    IdentifierConflict,
    IdentifierSuppressed,
    InternalError,
    LimitExceeded,
    MalformedRequest,
    MethodNotAllowed,
    MissingKey,
    NotFound,
    OutboundFailed,
    OutboundRefused,
    PayloadTooLarge,
    RateLimited,
    RequestTimeout,
    TransportError,
    Unauthenticated,
    Unavailable,
    UnsupportedMediaType,
    ValidationFailed,
)
from attrium.client.models import (
    ActivityEntry,
    ApiKey,
    Attribute,
    AttributeChange,
    BatchResult,
    CreatedKey,
    Customer,
    Device,
    ImportJob,
    MembershipChange,
    Merge,
    ObjectRecord,
    ObjectType,
    RejectedRow,
    Relationship,
    RenderedTemplate,
    Segment,
    SegmentPreview,
    SignupSource,
    Subscription,
    Subscriptions,
    Suppression,
    Template,
    Topic,
    Workspace,
)
from attrium.client.sync import Client

__all__ = [
    "ActivityEntry",
    "AlreadyExists",
    "ApiError",
    "ApiKey",
    "AsyncClient",
    "Attribute",
    "AttributeChange",
    "AttriumClientError",
    "BatchResult",
    "Client",
    "Conflict",
    "CreatedKey",
    "Customer",
    "Device",
    "Forbidden",
    "IdentifierConflict",
    "IdentifierSuppressed",
    "ImportJob",
    "InternalError",
    "LimitExceeded",
    "MalformedRequest",
    "MembershipChange",
    "Merge",
    "MethodNotAllowed",
    "MissingKey",
    "NotFound",
    "ObjectRecord",
    "ObjectType",
    "OutboundFailed",
    "OutboundRefused",
    "PayloadTooLarge",
    "RateLimited",
    "RejectedRow",
    "Relationship",
    "RenderedTemplate",
    "RequestTimeout",
    "RetryPolicy",
    "Segment",
    "SegmentPreview",
    "SignupSource",
    "Subscription",
    "Subscriptions",
    "Suppression",
    "Template",
    "Topic",
    "TransportError",
    "Unauthenticated",
    "Unavailable",
    "UnsupportedMediaType",
    "ValidationFailed",
    "Workspace",
]
