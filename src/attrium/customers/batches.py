"""What the write pipeline (`customers.pipeline`) takes and gives: a batch's writes,
their outcomes, and the turn an import's batch waits for before writing."""

from dataclasses import dataclass, field
from typing import Protocol

from attrium.core.errors import AttriumError
from attrium.customers.identity import CustomerRef
from attrium.customers.models import CustomerWrite, IdentifierConflictInfo
from attrium.customers.planning import CustomerState


# Values of the write path are not frozen, only never changed: a frozen dataclass's
# __init__ sets each field through object.__setattr__ (about 4x the cost), and a
# write builds several of them.
@dataclass(slots=True, unsafe_hash=True)
class BatchWrite:
    ref: CustomerRef
    write: CustomerWrite


@dataclass(slots=True, unsafe_hash=True)
class BatchOutcome:
    """What became of one write: applied (maybe with identifier conflicts) or refused whole.

    `customer` is the customer as this write left it (or found it, when it changed
    nothing).
    """

    customer: CustomerState | None = None
    created: bool = False
    changed: bool = False
    error: AttriumError | None = None
    conflicts: list[IdentifierConflictInfo] = field(default_factory=list)

    def __post_init__(self) -> None:
        # A caught error's traceback holds the frames that caught it, and they hold the
        # batch's outcomes: a cycle keeping the whole batch alive until a full garbage
        # collection (imports of large rows piled up hundreds of MB of past batches).
        if self.error is not None:
            self.error.__traceback__ = None

    @property
    def profile_id(self) -> str | None:
        return self.customer.profile_id if self.customer else None


class WriteTurn(Protocol):
    """When a batch may start writing. An import plans its next batch while this one
    writes, and lets it write only once this one committed: until then the next batch
    takes locks but writes nothing, and this one takes no new lock after planning its
    last round (signalled here), so neither waits for the other in a cycle."""

    def last_round_planned(self) -> None: ...

    async def wait(self) -> None: ...
