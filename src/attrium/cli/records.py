"""Remote commands on single records: customers, the attribute catalog, activity."""

from datetime import datetime
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from attrium.cli.connection import DEFAULT_URL, AsJson, Key, Url, connected
from attrium.cli.output import cell, folded, output, people, print_json, whole
from attrium.client.models import ActivityEntry

customers_app = typer.Typer(help="Read and write customers on a server.", no_args_is_help=True)
attributes_app = typer.Typer(help="The attribute catalog on a server.", no_args_is_help=True)


@customers_app.command("get")
def get_customer(
    ref: Annotated[str, typer.Argument(help="external id or email:…, phone:…, profile:…")],
    url: Url = DEFAULT_URL,
    key: Key = "",
    as_json: AsJson = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="RFC 3339 with a zone, e.g. 2026-03-01T00:00:00Z: as it was then"
        ),
    ] = None,
) -> None:
    """Show one customer (as it was at --as-of)."""
    moment = _instant(as_of, "--as-of")
    with connected(url, key) as client:
        customer = client.get_customer(ref, as_of=moment)
    if as_json:
        print_json(customer)
        return
    title = f"customer {ref}" + (f" as of {as_of}" if as_of else "")
    table = Table(whole("field"), folded("value"), title=title)
    for name in ("id", "profile_id", "email", "phone", "anonymous_id"):
        table.add_row(name, cell(getattr(customer, name)))
    for name, value in customer.custom_identifiers.items():
        table.add_row(f"custom_identifiers.{name}", value)
    for name, value in sorted(customer.attributes.items()):
        table.add_row(f"attributes.{name}", cell(value))
    output.print(table)


def _instant(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter("an RFC 3339 date-time with a zone", param_hint=option) from None


@customers_app.command("put")
def put_customer(
    ref: Annotated[str, typer.Argument(help="external id or a prefixed reference")],
    attributes: Annotated[
        list[str] | None, typer.Argument(help="NAME=VALUE pairs (VALUE as JSON if it parses)")
    ] = None,
    email: Annotated[str | None, typer.Option(help="set the email")] = None,
    phone: Annotated[str | None, typer.Option(help="set the phone (E.164)")] = None,
    url: Url = DEFAULT_URL,
    key: Key = "",
    as_json: AsJson = False,
) -> None:
    """Create or update a customer: `attrium customers put c1 plan=pro age=36`."""
    body: dict[str, Any] = {"attributes": dict(_pair(text) for text in attributes or [])}
    if email is not None:
        body["email"] = email
    if phone is not None:
        body["phone"] = phone
    with connected(url, key) as client:
        customer = client.put_customer(ref, **body)
    if as_json:
        print_json(customer)
    else:
        people.print(f"saved {ref} (profile {customer.profile_id})")


def _pair(text: str) -> tuple[str, Any]:
    name, separator, raw = text.partition("=")
    if not separator:
        raise typer.BadParameter(f"{text!r}: write attributes as NAME=VALUE")
    try:
        return name, orjson.loads(raw)
    except orjson.JSONDecodeError:
        return name, raw


@customers_app.command("delete")
def delete_customer(
    ref: Annotated[str, typer.Argument(help="external id or a prefixed reference")],
    url: Url = DEFAULT_URL,
    key: Key = "",
) -> None:
    """Erase a customer."""
    with connected(url, key) as client:
        client.delete_customer(ref)
    people.print(f"deleted {ref}")


@attributes_app.command("list")
def list_attributes(url: Url = DEFAULT_URL, key: Key = "", as_json: AsJson = False) -> None:
    """The catalog: each attribute, its type, source and how many customers hold it."""
    with connected(url, key) as client:
        entries = client.list_attributes()
    if as_json:
        print_json(entries)
        return
    table = Table(
        whole("name"),
        whole("type"),
        "source",
        whole("customers"),
        folded("default"),
        "description",
    )
    for entry in entries:
        table.add_row(
            entry.name,
            entry.type,
            entry.source,
            str(entry.customer_count),
            cell(entry.default),
            entry.description or "",
        )
    output.print(table)


@attributes_app.command("define")
def define_attribute(
    name: str,
    attribute_type: Annotated[
        str, typer.Argument(metavar="TYPE", help="string, number, boolean, datetime or enum")
    ],
    values: Annotated[str | None, typer.Option(help="enum values, comma-separated")] = None,
    description: Annotated[str | None, typer.Option(help="what the attribute means")] = None,
    url: Url = DEFAULT_URL,
    key: Key = "",
    as_json: AsJson = False,
) -> None:
    """Declare an attribute before any value is written."""
    enum_values = [value.strip() for value in values.split(",")] if values else None
    with connected(url, key) as client:
        entry = client.define_attribute(
            name, attribute_type, enum_values=enum_values, description=description
        )
    if as_json:
        print_json(entry)
    else:
        people.print(f"defined {entry.name} ({entry.type})")


def activity(
    ref: Annotated[str, typer.Argument(help="external id or a prefixed reference")],
    limit: Annotated[int, typer.Option(min=1, help="newest entries to show")] = 20,
    url: Url = DEFAULT_URL,
    key: Key = "",
    as_json: AsJson = False,
) -> None:
    """A customer's history, newest first."""
    with connected(url, key) as client:
        history = client.iter_activity(ref, page_size=min(limit, 1000))
        entries = [entry for _, entry in zip(range(limit), history, strict=False)]
    if as_json:
        print_json(entries)
        return
    table = Table(
        whole("when"),
        whole("type"),
        folded("attribute"),
        folded("old"),
        folded("new"),
        "source",
        "reason",
    )
    for entry in entries:
        for number, (name, old, new) in enumerate(_changes_of(entry)):
            first = number == 0
            table.add_row(
                entry.created_at.isoformat(timespec="seconds") if first else "",
                entry.type if first else "",
                name,
                cell(old),
                cell(new),
                entry.source if first else "",
                (entry.reason or "") if first else "",
            )
    output.print(table)


def _changes_of(entry: ActivityEntry) -> list[tuple[str, Any, Any]]:
    """An entry's changes as rows: a customer write's each, else its one value."""
    found = [
        (name, pair["old"], pair["new"])
        for part in ("identifiers", "attributes")
        for name, pair in sorted(((entry.changes or {}).get(part) or {}).items())
    ]
    return found or [(entry.attribute or "", entry.old_value, entry.new_value)]
