"""Every customer of a workspace, read page by page for a streamed export."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from attrium.attributes import service as catalog
from attrium.auth.actor import Actor
from attrium.core.database import Database
from attrium.customers import service
from attrium.customers.models import Customer
from attrium.segments.export import nested_types_of

EXPORT_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class CustomersExport:
    """The workspace's customers in profile id order; `attribute_names` is the catalog.

    Each page is read in a transaction of its own, so a long export holds no snapshot
    open; a customer created during it appears if its id sorts after the pages read.
    """

    db: Database
    actor: Actor
    attribute_names: list[str]
    nested_types: dict[str, str] = field(default_factory=dict)

    async def batches(self) -> AsyncIterator[list[Customer]]:
        cursor: str | None = None
        while True:
            page = await service.list_customers(self.db, self.actor, cursor, EXPORT_PAGE_SIZE)
            if page.items:
                yield page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor


async def open_export(db: Database, actor: Actor) -> CustomersExport:
    async with db.reader() as connection:
        definitions = await catalog.list_definitions(connection, actor)
    names = [definition.name for definition in definitions]
    return CustomersExport(db, actor, names, nested_types_of(definitions))
