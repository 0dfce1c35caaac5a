"""The attribute catalog page: every attribute, its use and freshness; define new ones."""

from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from starlette.datastructures import FormData

from attrium.attributes import service as catalog
from attrium.attributes.models import DefinitionInput, limits_for
from attrium.attributes.values import AttributeType
from attrium.auth.scopes import Scope
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.errors import AttriumError, FieldError, ValidationFailed
from attrium.ui.routing import UiRoute
from attrium.ui.security import SessionDep
from attrium.ui.service import UiSession
from attrium.ui.web import UI_PREFIX, redirect, render

router = APIRouter(route_class=UiRoute)
DEFINITION_FIELDS = ("name", "type", "enum_values", "default", "description", "max_length")


@router.get("/catalog")
async def catalog_page(
    request: Request, db: DatabaseDep, session: SessionDep, defined: str | None = None
) -> Response:
    return await _page(request, db, session, notice=_defined_notice(defined))


def _defined_notice(name: str | None) -> str | None:
    return f"Attribute {name!r} is defined." if name else None


async def _page(
    request: Request,
    db: DatabaseDep,
    session: UiSession,
    *,
    status: int = 200,
    form: dict[str, str] | None = None,
    error: AttriumError | None = None,
    notice: str | None = None,
) -> Response:
    entries = await catalog.catalog(db, session.actor)
    field_errors = (
        {field_error.field: field_error.message for field_error in error.errors} if error else {}
    )
    return render(
        request,
        "catalog.html",
        session=session,
        status=status,
        entries=entries,
        types=[attribute_type.value for attribute_type in AttributeType],
        can_define=session.can(Scope.CATALOG_ADMIN),
        form=form or dict.fromkeys(DEFINITION_FIELDS, ""),
        error=error,
        field_errors=field_errors,
        notice=notice,
    )


@router.post("/catalog")
async def define_attribute(
    request: Request, db: DatabaseDep, settings: SettingsDep, session: SessionDep
) -> Response:
    session.actor.require(Scope.CATALOG_ADMIN)
    submitted = await request.form()
    form = {name: _text(submitted, name) for name in DEFINITION_FIELDS}
    try:
        definition = definition_from_form(form)
        entry = await catalog.define_attribute(
            db, session.actor, definition, limits_for(session.actor, settings)
        )
    except AttriumError as error:
        return await _page(request, db, session, status=error.status, form=form, error=error)
    return redirect(request, f"{UI_PREFIX}/catalog?defined={entry.definition.name}")


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def definition_from_form(form: dict[str, str]) -> DefinitionInput:
    """The form's strings as a definition; the catalog service checks the rest."""
    errors: list[FieldError] = []
    try:
        attribute_type = AttributeType(form["type"])
    except ValueError:
        allowed = ", ".join(attribute_type.value for attribute_type in AttributeType)
        errors.append(FieldError("type", "enum", f"choose one of {allowed}"))
        attribute_type = AttributeType.STRING
    max_length: int | None = None
    if form["max_length"]:
        if form["max_length"].isdigit() and int(form["max_length"]) >= 1:
            max_length = int(form["max_length"])
        else:
            errors.append(FieldError("max_length", "type", "a whole number of 1 or more"))
    if not form["name"]:
        errors.append(FieldError("name", "required", "give the attribute a name"))
    default = _default(form["default"], attribute_type, errors)
    if errors:
        raise ValidationFailed(errors[0].message, errors)
    return DefinitionInput(
        name=form["name"],
        type=attribute_type,
        enum_values=_enum_values(form["enum_values"]),
        default=default,
        description=form["description"] or None,
        max_length=max_length,
    )


def _default(text: str, attribute_type: AttributeType, errors: list[FieldError]) -> Any:
    """The default as typed: JSON text for an object or array attribute."""
    if not text or attribute_type not in (AttributeType.OBJECT, AttributeType.ARRAY):
        return text or None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        message = f"the default of an {attribute_type.value} attribute is JSON text"
        errors.append(FieldError("default", "json", message))
        return None


def _enum_values(text: str) -> list[str] | None:
    values = [value.strip() for value in text.replace(",", "\n").splitlines()]
    found = [value for value in values if value]
    return found or None
