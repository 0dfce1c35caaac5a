"""Optimove, mounted at `/compat/optimove` (seed 003).

Attribute definitions are created by API (`AddCustomerAttribute`, `catalog:admin`
keys only, at most `optimove_max_attributes` of them), values are written per
customer (`UpdateCustomerAttributes`, `UpsertCustomer`) with per-value errors while
the rest applies, and the catalog and one customer's attributes are read back. Each
route answers under `/Customers/<Operation>` and `/current/customers/<Operation>`.
The key is sent as `X-API-KEY`; errors are `{"status", "error", "message"}`.
"""

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import timedelta
from http import HTTPStatus
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Response

from attrium.activity import service as activity
from attrium.attributes import service as catalog
from attrium.attributes.models import Definition, DefinitionInput, limits_for
from attrium.attributes.service import CatalogEntry
from attrium.auth.actor import Actor
from attrium.auth.scopes import Scope
from attrium.core.clock import utcnow
from attrium.core.database import Database
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.errors import (
    AlreadyExists,
    AttriumError,
    FieldError,
    LimitExceeded,
    MalformedRequest,
    NotFound,
    ValidationFailed,
)
from attrium.core.jsonio import JsonResponse
from attrium.core.problems import retry_after_headers
from attrium.core.ratelimit import Limit
from attrium.core.settings import Settings
from attrium.customers import service as customers
from attrium.customers.identity import CustomerRef, IdentifierKind, normalise
from attrium.customers.models import CustomerWrite
from attrium.dialects import callbacks
from attrium.dialects.common import answer_unknown_routes, dialect_route, header_key_actor
from attrium.dialects.mounts import DIALECT_PREFIXES
from attrium.dialects.optimove_schemas import (
    AddAttributeRequest,
    AttributeValue,
    UpdateAttributesRequest,
    UpsertCustomerRequest,
    attribute_type_name,
    native_type,
    scalar,
)

SOURCE = "optimove"
API_KEY_HEADER = "X-API-KEY"
CHANGERS_WINDOW = timedelta(days=1)  # "from the previous day to the current day"
CHANGERS_DEFAULT_TOP = 1000
CHANGERS_MAX_TOP = 10_000


def optimove_error(error: AttriumError) -> Response:
    status = 400 if isinstance(error, MalformedRequest | ValidationFailed) else error.status
    body = {"status": status, "error": HTTPStatus(status).phrase, "message": error.detail}
    return JsonResponse(body, status_code=status, headers=retry_after_headers(error))


def optimove_key(scope: Scope) -> Any:
    return Depends(header_key_actor(API_KEY_HEADER, SOURCE, scope, Limit.OPTIMOVE))


Reader = Annotated[Actor, optimove_key(Scope.ATTRIBUTES_READ)]
Writer = Annotated[Actor, optimove_key(Scope.ATTRIBUTES_WRITE)]
ApiAdmin = Annotated[Actor, optimove_key(Scope.CATALOG_ADMIN)]

router = APIRouter(
    prefix=DIALECT_PREFIXES["optimove"],
    tags=["optimove"],
    route_class=dialect_route(optimove_error),
)


def operation(method: str, name: str, *aliases: str) -> Callable[[Any], Any]:
    """Register a handler under `/Customers/<name>`, `/current/customers/<name>` and aliases."""
    paths = [f"/Customers/{name}", f"/current/customers/{name}", *aliases]

    def register(handler: Any) -> Any:
        for index, path in enumerate(paths):
            router.add_api_route(path, handler, methods=[method], include_in_schema=index == 0)
        return handler

    return register


# Attribute definitions

_ADD_ERRORS: list[tuple[type[AttriumError], str, str]] = [
    (LimitExceeded, "1", "The number of attributes added exceeds the {limit} attributes limit"),
    (AlreadyExists, "2", "Specified RealFieldName already exists"),
]


@operation("POST", "AddCustomerAttribute")
async def add_customer_attribute(
    body: AddAttributeRequest,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: ApiAdmin,
    tasks: BackgroundTasks,
) -> Response:
    """Create an attribute definition, optionally with a default for every customer."""
    await callbacks.check(body.CallbackURL, "CallbackURL", settings)
    outcome = await _add(body, db, settings, actor)
    callbacks.schedule(tasks, body.CallbackURL, outcome, settings)
    return JsonResponse(outcome)


async def _add(
    body: AddAttributeRequest, db: Database, settings: Settings, actor: Actor
) -> dict[str, Any]:
    limit = actor.workspace.setting("optimove_max_attributes", settings)
    outcome: dict[str, Any] = {"attributeName": body.Name, "isSuccess": True}
    parsed = native_type(body.Type)
    if parsed is None:
        outcome |= _failure(
            "3",
            "Type Input should be 'DECIMAL(19,4)', 'INT', 'BIGINT', 'DATE', "
            "'VARCHAR(X)' or 'NVARCHAR(X)'",
        )
        return outcome
    attribute_type, max_length = parsed
    definition = DefinitionInput(
        name=body.Name, type=attribute_type, default=body.DefaultValue, max_length=max_length
    )
    limits = replace(limits_for(actor, settings), max_definitions=limit, counted_source="api")
    try:
        await catalog.define_attribute(db, actor, definition, limits)
    except AttriumError as error:
        outcome |= _add_failure(error, limit, body.Type)
    return outcome


def _add_failure(error: AttriumError, limit: int, type_name: str) -> dict[str, str]:
    for error_class, error_id, message in _ADD_ERRORS:
        if isinstance(error, error_class):
            return _failure(error_id, message.format(limit=limit))
    if isinstance(error, ValidationFailed) and any(e.field == "default" for e in error.errors):
        return _failure("4", f"DefaultValue cannot be inserted into a column of type {type_name}")
    return _failure("5", f"a general error occurred: {error.detail}")


def _failure(error_id: str, message: str) -> dict[str, Any]:
    return {
        "isSuccess": False,
        "errorId": error_id,
        "errorMsg": f"Attribute was not added, {message}.",
    }


@operation("GET", "GetCustomerAttributeList", "/current/model/GetCustomerAttributeList")
async def get_customer_attribute_list(db: DatabaseDep, actor: Reader) -> Response:
    """Every attribute with its type, default, source and freshness."""
    return JsonResponse([_listed(entry) for entry in await catalog.catalog(db, actor)])


def _listed(entry: CatalogEntry) -> dict[str, Any]:
    definition = entry.definition
    return {
        "RealFieldName": definition.name,
        "Description": definition.description or "",
        "Type": attribute_type_name(definition.type, definition.max_length),
        "DefaultValue": scalar(definition.default),
        "Source": "API" if definition.source == "api" else "Batch",
        "IsRealTime": definition.last_api_write_at is not None,
        "Freshness": entry.freshness.capitalize() if entry.freshness else None,
        "LastApiUpdate": definition.last_api_write_at,
    }


# Values


@operation("POST", "UpdateCustomerAttributes")
async def update_customer_attributes(
    body: UpdateAttributesRequest,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Writer,
    tasks: BackgroundTasks,
) -> Response:
    """Overwrite values of existing customers; refused values are listed, the rest applies."""
    await callbacks.check(body.CallbackURL, "CallbackURL", settings)
    writer = ValueWriter(db, actor, settings, await catalog.definitions_by_name(db, actor))
    for entry in body.CustomerNewAttributesValuesList:
        await writer.write(str(entry.CustomerID), entry.Attributes, create=False)
    outcome = writer.outcome()
    callbacks.schedule(tasks, body.CallbackURL, outcome, settings)
    return JsonResponse(outcome)


@operation("PUT", "UpsertCustomer")
async def upsert_customer(
    body: UpsertCustomerRequest,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Writer,
    tasks: BackgroundTasks,
) -> Response:
    """Create the customer if it is new, then write its values as UpdateCustomerAttributes."""
    await callbacks.check(body.CallbackUrl, "CallbackUrl", settings)
    writer = ValueWriter(db, actor, settings, await catalog.definitions_by_name(db, actor))
    await writer.write(str(body.CustomerId), body.Attributes or [], create=True)
    outcome = writer.outcome()
    callbacks.schedule(tasks, body.CallbackUrl, outcome, settings)
    return JsonResponse(outcome)


@operation("GET", "GetCustomerAttributes")
async def get_customer_attributes(
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Reader,
    customer_id: Annotated[str, Query(alias="CustomerID")],
    wanted: Annotated[
        str | None, Query(alias="CustomerAttributes", description="names separated by ';'")
    ] = None,
) -> Response:
    """One customer's full set of attributes (defaults included), or only the named ones."""
    customer = await customers.get(
        db, actor, _customer_ref(customer_id, settings.max_identifier_bytes)
    )
    names = sorted(customer.attributes) if wanted is None else _names(wanted)
    attributes = [
        {"RealFieldName": name, "Value": scalar(customer.attributes.get(name))} for name in names
    ]
    return JsonResponse({"CustomerID": customer.id, "Attributes": attributes})


@operation("GET", "GetCustomerAttributeChangers")
async def get_customer_attribute_changers(
    db: DatabaseDep,
    actor: Reader,
    changed: Annotated[str, Query(alias="ChangedCustomerAttribute")],
    wanted: Annotated[
        str | None, Query(alias="CustomerAttributes", description="names separated by ';'")
    ] = None,
    top: Annotated[
        int, Query(alias="$top", ge=1, le=CHANGERS_MAX_TOP, description="changers per call")
    ] = CHANGERS_DEFAULT_TOP,
    skip: Annotated[int, Query(alias="$skip", ge=0, description="changers passed over")] = 0,
) -> Response:
    """Customers whose attribute changed over the last day: its value before and after,
    `$top` of them (1,000 by default) after the first `$skip`, in a stable order."""
    if ";" in changed:
        message = "ChangedCustomerAttribute names a single attribute per call"
        raise ValidationFailed(message, [FieldError("ChangedCustomerAttribute", "single", message)])
    if changed not in await catalog.definitions_by_name(db, actor):
        raise NotFound(f"no customer attribute {changed!r}")
    names = _names(wanted or "")
    return JsonResponse(await attribute_changers(db, actor, changed, names, skip, top))


async def attribute_changers(
    db: Database, actor: Actor, changed: str, names: list[str], skip: int, top: int
) -> list[dict[str, Any]]:
    """The changers of one page, their customers read together (not one by one)."""
    until = utcnow()
    since = until - CHANGERS_WINDOW
    changes = await activity.attribute_changes(db, actor, changed, since, until, skip + top)
    changes = changes[skip:]
    found = await customers.read_many(db, actor, [change.profile_id for change in changes])
    return [
        {
            "CustomerID": customer.id or customer.profile_id,
            "InitialCustomerAttribute": scalar(change.before),
            "FinalCustomerAttribute": scalar(change.after),
            "CustomerAttributes": [scalar(customer.attributes.get(name)) for name in names],
        }
        for change in changes
        if (customer := found.get(change.profile_id)) is not None  # else erased since
    ]


def _names(semicolon_separated: str) -> list[str]:
    return [name for name in semicolon_separated.split(";") if name]


def _customer_ref(customer_id: str, max_bytes: int) -> CustomerRef:
    return CustomerRef(
        IdentifierKind.ID, normalise(IdentifierKind.ID, customer_id, "CustomerID", max_bytes)
    )


class ValueWriter:
    """Writes the values of one request, customer by customer, collecting per-value errors.

    A value is refused as INVALID_FIELD when no definition has its name, INVALID_CUSTOMER
    when its customer does not exist (and may not be created), INVALID_VALUE when the
    native rules refuse it; every other value of the customer still applies.
    """

    def __init__(
        self, db: Database, actor: Actor, settings: Settings, definitions: dict[str, Definition]
    ) -> None:
        self.db = db
        self.actor = actor
        self.settings = settings
        self.known_names = set(definitions)
        self.errors: list[dict[str, str | None]] = []

    def refuse(self, error: str, customer_id: str, names: Iterable[str]) -> None:
        self.errors.extend(
            {"error": error, "customerId": customer_id, "realFieldName": name} for name in names
        )

    def refuse_customer(self, customer_id: str, names: list[str]) -> None:
        """The customer is refused as a whole: each of its values, or the customer alone
        (`realFieldName` null) when it came with none, so no refusal answers success."""
        if names:
            self.refuse("INVALID_CUSTOMER", customer_id, names)
        else:
            self.errors.append(
                {"error": "INVALID_CUSTOMER", "customerId": customer_id, "realFieldName": None}
            )

    async def write(self, customer_id: str, values: list[AttributeValue], *, create: bool) -> None:
        patch = {value.RealFieldName: value.Value for value in values}
        self.refuse("INVALID_FIELD", customer_id, [n for n in patch if n not in self.known_names])
        patch = {name: value for name, value in patch.items() if name in self.known_names}
        try:
            ref = _customer_ref(customer_id, self.settings.max_identifier_bytes)
        except ValidationFailed:
            self.refuse_customer(customer_id, list(patch))
            return
        while patch or create:
            refused = await self._apply(ref, patch, create=create)
            if refused is None:
                return
            if refused[0] == "INVALID_CUSTOMER":
                self.refuse_customer(customer_id, refused[1])
                return
            self.refuse(refused[0], customer_id, refused[1])
            patch = {name: value for name, value in patch.items() if name not in refused[1]}
            if not refused[1]:
                return

    async def _apply(
        self, ref: CustomerRef, patch: dict[str, Any], *, create: bool
    ) -> tuple[str, list[str]] | None:
        """None when the patch applied, else which error and which names it refused."""
        write = CustomerWrite(attributes=patch, update_only=not create)
        options = customers.native_options(self.actor, self.settings)
        try:
            await customers.upsert(self.db, self.actor, ref, write, options)
        except ValidationFailed as error:
            named = {e.field.removeprefix("attributes.") for e in error.errors} & set(patch)
            return "INVALID_VALUE", sorted(named) if named else list(patch)
        except AttriumError:
            # unknown, or refused as a whole (a suppressed id): none of its values apply
            return "INVALID_CUSTOMER", list(patch)
        return None

    def outcome(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"isSuccess": not self.errors}
        if self.errors:
            answer["errors"] = self.errors
        answer["requestId"] = str(uuid4())
        return answer


answer_unknown_routes(router)
