"""Many customer writes in one transaction: the service's rules, with set-based SQL.

Each write is decided exactly as `service.upsert` decides one (`requested_changes`,
`prepare_many`, `choose_target`, `plan_create`, `plan_update`), against identifier
owners and customer rows read for the whole batch at once. Writes are taken in
rounds: a write that touches an identifier or a customer an earlier write of the
round touched waits for the next round, which reads what the first one wrote.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.activity import service as activity
from attrium.activity.service import ActivityEntry
from attrium.attributes import stats as attribute_stats
from attrium.attributes.models import CUSTOMER_NAMESPACE
from attrium.attributes.writes import prepare_many
from attrium.auth.actor import Actor
from attrium.core.clock import utcnow
from attrium.core.errors import AttriumError, IdentifierSuppressed, NotFound
from attrium.customers import store
from attrium.customers.identity import CustomerRef, IdentifierKind
from attrium.customers.models import CustomerWrite, IdentifierConflictInfo
from attrium.customers.service import (
    CreatePlan,
    IdentifierChange,
    UpdatePlan,
    WriteOptions,
    choose_target,
    plan_create,
    plan_update,
    requested_changes,
)
from attrium.identity.suppressions import suppression_errors

IdentifierKey = tuple[IdentifierKind, str | None, str]


@dataclass(frozen=True, slots=True)
class BatchWrite:
    ref: CustomerRef
    write: CustomerWrite


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What became of one write: applied (maybe with identifier conflicts) or refused whole."""

    profile_id: str | None = None
    created: bool = False
    error: AttriumError | None = None
    changed: bool = False
    conflicts: list[IdentifierConflictInfo] = field(default_factory=list)


@dataclass(slots=True)
class _Pending:
    index: int
    ref: CustomerRef
    write: CustomerWrite
    changes: list[IdentifierChange]
    patch: dict[str, Any]

    def identifier_keys(self) -> list[IdentifierKey]:
        refs = [self.ref, *(c.ref for c in self.changes if c.value is not None)]
        return [(ref.kind, ref.name, ref.value) for ref in refs]


async def upsert_batch(
    connection: AsyncConnection,
    actor: Actor,
    writes: Sequence[BatchWrite],
    options: WriteOptions,
    *,
    record_rejections: bool = True,
) -> list[BatchOutcome]:
    """Apply `writes` in order inside the caller's transaction, as `upsert` would one by one.

    A refused write changes nothing and is recorded as rejected (unless the caller
    records rejections itself); the others apply.
    A unique violation (a concurrent writer took an identifier) aborts the batch: the
    caller rolls back and applies its writes one by one.
    """
    outcomes: list[BatchOutcome | None] = [None] * len(writes)
    pending = await _prepare(connection, actor, writes, options, outcomes)
    while pending:
        pending = await _apply_round(connection, actor, pending, options, outcomes)
    if record_rejections:
        await _record_rejections(connection, actor, writes, outcomes)
    return [outcome or BatchOutcome() for outcome in outcomes]


async def _record_rejections(
    connection: AsyncConnection,
    actor: Actor,
    writes: Sequence[BatchWrite],
    outcomes: list[BatchOutcome | None],
) -> None:
    rejections: list[ActivityEntry] = []
    for index, outcome in enumerate(outcomes):
        if outcome is not None and outcome.error is not None:
            # A suppressed identifier's value must not come back through the log.
            suppressed = isinstance(outcome.error, IdentifierSuppressed)
            ref = None if suppressed else str(writes[index].ref)
            entry = activity.rejection_entry(outcome.error, ref)
            rejections.append(entry)
    await activity.record(connection, actor, rejections)


async def _prepare(
    connection: AsyncConnection,
    actor: Actor,
    writes: Sequence[BatchWrite],
    options: WriteOptions,
    outcomes: list[BatchOutcome | None],
) -> list[_Pending]:
    checked: list[tuple[int, list[IdentifierChange]]] = []
    for index, item in enumerate(writes):
        try:
            checked.append((index, requested_changes(item.write, options.max_identifier_bytes)))
        except AttriumError as error:
            outcomes[index] = BatchOutcome(error=error)
    suppressed = await suppression_errors(
        connection,
        actor,
        [
            [("customer_id", writes[index].ref)]
            + [(c.field, c.ref) for c in changes if c.value is not None]
            for index, changes in checked
        ],
    )
    for (index, _), refusal in zip(checked, suppressed, strict=True):
        if refusal is not None:
            outcomes[index] = BatchOutcome(error=refusal)
    checked = [(index, changes) for index, changes in checked if outcomes[index] is None]
    patches = await prepare_many(
        connection,
        actor,
        [writes[index].write.attributes for index, _ in checked],
        options.limits,
        CUSTOMER_NAMESPACE,
    )
    pending = []
    for (index, changes), patch in zip(checked, patches, strict=True):
        if isinstance(patch, AttriumError):
            outcomes[index] = BatchOutcome(error=patch)
        else:
            item = writes[index]
            pending.append(_Pending(index, item.ref, item.write, changes, patch))
    return pending


def _independent_prefix(pending: list[_Pending]) -> int:
    """How many leading writes touch no identifier twice."""
    seen: set[IdentifierKey] = set()
    for position, item in enumerate(pending):
        keys = item.identifier_keys()
        if seen.intersection(keys):
            return position
        seen.update(keys)
    return len(pending)


async def _apply_round(
    connection: AsyncConnection,
    actor: Actor,
    pending: list[_Pending],
    options: WriteOptions,
    outcomes: list[BatchOutcome | None],
) -> list[_Pending]:
    """Apply the longest independent prefix of `pending`; what is left for the next round."""
    round_items = pending[: _independent_prefix(pending)]
    owners = await _owners(
        connection, actor.workspace_id, (k for i in round_items for k in i.identifier_keys())
    )
    targets: dict[int, tuple[str | None, list[IdentifierChange]]] = {}
    claimed: set[str] = set()
    for position, item in enumerate(round_items):
        try:
            target, changes = choose_target(
                item.ref,
                item.write,
                item.changes,
                _owners_of(item, owners),
                owners.get(_key(item.ref)),
            )
        except AttriumError as error:
            outcomes[item.index] = BatchOutcome(error=error)
            continue
        if target is not None and target in claimed:
            round_items = round_items[:position]
            break
        if target is not None:
            claimed.add(target)
        targets[item.index] = (target, changes)
    rows = await store.read_many(connection, actor.workspace_id, sorted(claimed), lock=True)
    custom = await store.custom_identifiers_of(connection, actor.workspace_id, sorted(rows))
    writes = _Writes()
    for item in round_items:
        if item.index not in targets:
            continue
        target, changes = targets[item.index]
        try:
            if target is None:
                writes.create(
                    item.index, plan_create(actor, item.ref, changes, item.patch, options)
                )
            elif target not in rows:
                raise NotFound(f"customer {item.ref} was deleted while this write was applied")
            else:
                plan = plan_update(
                    item.ref,
                    rows[target],
                    custom[target],
                    changes,
                    _owners_of(item, owners),
                    item.patch,
                    options,
                )
                writes.update(item.index, target, plan, rows[target]["attributes"])
        except AttriumError as error:
            outcomes[item.index] = BatchOutcome(error=error)
    await writes.execute(connection, actor)
    for index, outcome in writes.outcomes.items():
        outcomes[index] = outcome
    return pending[len(round_items) :]


def _key(ref: CustomerRef) -> IdentifierKey:
    return (ref.kind, ref.name, ref.value)


def _owners_of(
    item: _Pending, owners: dict[IdentifierKey, str]
) -> dict[IdentifierChange, str | None]:
    return {c: owners.get(_key(c.ref)) for c in item.changes if c.value is not None}


async def _owners(
    connection: AsyncConnection, workspace_id: str, keys: Iterable[IdentifierKey]
) -> dict[IdentifierKey, str]:
    """The customer holding each identifier, one query per kind (and custom name)."""
    wanted: dict[tuple[IdentifierKind, str | None], set[str]] = {}
    for kind, name, value in keys:
        wanted.setdefault((kind, name), set()).add(value)
    found: dict[IdentifierKey, str] = {}
    for (kind, name), values in wanted.items():
        if kind is IdentifierKind.CUSTOM:
            owners = await store.owners_by_custom(
                connection, workspace_id, name or "", sorted(values)
            )
        else:
            owners = await store.owners_by_column(connection, workspace_id, kind, sorted(values))
        found.update({(kind, name, value): owner for value, owner in owners.items()})
    return found


@dataclass(slots=True)
class _Writes:
    """The planned writes of one round, executed as a handful of statements."""

    creates: list[CreatePlan] = field(default_factory=list)
    updates: list[tuple[str, UpdatePlan]] = field(default_factory=list)
    outcomes: dict[int, BatchOutcome] = field(default_factory=dict)
    stat_changes: attribute_stats.StatChanges = field(default_factory=attribute_stats.StatChanges)

    def create(self, index: int, plan: CreatePlan) -> None:
        self.creates.append(plan)
        self.stat_changes.add_created(plan.row["attributes"])
        self.outcomes[index] = BatchOutcome(
            plan.profile_id, True, conflicts=plan.conflicts, changed=True
        )

    def update(
        self, index: int, profile_id: str, plan: UpdatePlan, old_attributes: dict[str, Any]
    ) -> None:
        self.updates.append((profile_id, plan))
        self.stat_changes.add_write(old_attributes, plan.attribute_patch)
        self.outcomes[index] = BatchOutcome(
            profile_id, False, conflicts=plan.conflicts, changed=plan.changed
        )

    async def execute(self, connection: AsyncConnection, actor: Actor) -> None:
        workspace_id = actor.workspace_id
        await store.insert_many(connection, [plan.row for plan in self.creates])
        new_custom = [
            (plan.profile_id, name, value)
            for plan in self.creates
            for name, value in plan.custom_identifiers.items()
        ]
        await store.set_custom_identifiers(connection, workspace_id, new_custom, fresh=True)
        changed = [(pid, plan) for pid, plan in self.updates if plan.changed]
        await store.update_many(
            connection,
            workspace_id,
            [(pid, plan.columns, plan.attribute_patch) for pid, plan in changed],
            utcnow(),
        )
        custom_changes = [
            (pid, name, value)
            for pid, plan in changed
            for name, value in plan.custom_identifiers.items()
        ]
        await store.set_custom_identifiers(connection, workspace_id, custom_changes)
        await attribute_stats.record(connection, actor, self.stat_changes)
        entries = [entry for plan in self.creates for entry in plan.entries]
        entries.extend(entry for _, plan in self.updates for entry in plan.entries)
        await activity.record(connection, actor, entries)
