"""Customer writes applied as a batch in the caller's transaction: the rules of
`customers.planning`, with set-based SQL.

Every path that creates or updates customers comes here (a lone write is a batch of
one): the native routes and the dialects through `customers.writer`, the batch route,
imports. The stages, each a bounded number of statements whatever the batch size:

1. prepare: identifiers normalised;
2. in rounds (a write touching an identifier or customer an earlier write of the
   round touched waits for the next round, which sees what the first one wrote):
   lock every customer holding an identifier the round names (one statement; one
   more for custom identifiers); refuse writes naming a suppressed identifier (one
   query, only when the round names identifiers nobody holds); then, write by write
   in order, check its attributes
   against the catalog (`attributes.writes.PatchChecker`: a write may rely on the
   types an earlier applied write gave new attributes), choose its target and plan
   it (`planning`); enter the new attributes of the writes that apply into the
   catalog; then write the new and changed rows (one statement), custom identifiers
   (when any change) and the activity entries (one statement);
3. refusals are recorded, on their customer when it exists (one recorder for every
   path).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from attrium.attributes import stats as attribute_stats
from attrium.attributes.models import CUSTOMER_NAMESPACE
from attrium.attributes.writes import CheckedPatch, PatchChecker
from attrium.auth.actor import Actor
from attrium.core.clock import utcnow
from attrium.core.errors import AttriumError, IdentifierSuppressed, NotFound
from attrium.customers import refusals, store, storing
from attrium.customers.batches import BatchOutcome, BatchWrite, WriteTurn
from attrium.customers.identity import CustomerRef, IdentifierKind
from attrium.customers.models import CustomerWrite
from attrium.customers.owners import IdentifierKey, holders_of, key_of
from attrium.customers.planning import (
    COLUMN_NAMES,
    CreatePlan,
    CustomerState,
    IdentifierChange,
    UpdatePlan,
    WriteOptions,
    choose_target,
    plan_create,
    plan_update,
    requested_changes,
)
from attrium.customers.timing import batch_time_text
from attrium.identity.suppressions import suppression_errors


@dataclass(slots=True)
class _Pending:
    index: int
    ref: CustomerRef
    write: CustomerWrite
    changes: list[IdentifierChange]

    def identifier_keys(self) -> list[IdentifierKey]:
        refs = [self.ref, *(c.ref for c in self.changes if c.value is not None)]
        return [(ref.kind, ref.name, ref.value) for ref in refs]


async def apply(
    connection: AsyncConnection,
    actor: Actor,
    writes: Sequence[BatchWrite],
    options: WriteOptions,
    turn: WriteTurn | None = None,
) -> list[BatchOutcome]:
    """Apply `writes` in order inside the caller's transaction, as if one by one.

    A refused write changes nothing and is recorded as refused; the others apply. A
    unique violation (a concurrent writer took an identifier) aborts the batch: the
    caller rolls back and applies its writes one by one. With a `turn`, each round
    waits for it before its first write.
    """
    outcomes: list[BatchOutcome | None] = [None] * len(writes)
    pending = await _prepare(connection, actor, writes, options, outcomes)
    checker = await PatchChecker.open(
        connection, actor, CUSTOMER_NAMESPACE, options.limits, options.attributes_field
    )
    if checker.has_new_names(item.write.patch() for item in pending):
        await checker.lock_catalog(connection)  # before any customer: see lock_catalog
    now = utcnow()
    while pending:
        pending = await _apply_round(
            connection, actor, pending, options, checker, outcomes, now, turn
        )
    await checker.mark_written(connection)
    done = [outcome or BatchOutcome() for outcome in outcomes]
    await refusals.record_refusals(
        connection, actor, [w.ref for w in writes], [outcome.error for outcome in done]
    )
    return done


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
    return [
        _Pending(index, writes[index].ref, writes[index].write, changes)
        for index, changes in checked
        if outcomes[index] is None
    ]


def _independent_prefix(pending: list[_Pending]) -> int:
    """How many leading writes touch no identifier twice."""
    seen: set[IdentifierKey] = set()
    for position, item in enumerate(pending):
        keys = item.identifier_keys()
        if seen.intersection(keys):
            return position
        seen.update(keys)
    return len(pending)


@dataclass(slots=True)
class _Decided:
    """A write of the round that applies, as planned."""

    item: _Pending
    target: str | None  # None: a new customer
    changes: list[IdentifierChange]
    checked: CheckedPatch
    plan: CreatePlan | UpdatePlan


async def _apply_round(
    connection: AsyncConnection,
    actor: Actor,
    pending: list[_Pending],
    options: WriteOptions,
    checker: PatchChecker,
    outcomes: list[BatchOutcome | None],
    now: datetime,
    turn: WriteTurn | None,
) -> list[_Pending]:
    """Apply the longest independent prefix of `pending`; what is left for the next round."""
    round_items = pending[: _independent_prefix(pending)]
    found, owners = await _lock_named(connection, actor.workspace_id, round_items)
    suppressed = await _suppressed(connection, actor, round_items, owners)
    decided: list[_Decided] = []
    claimed: set[str] = set()
    for position, item in enumerate(round_items):
        try:
            refusal = suppressed.get(item.index)
            if refusal is not None:
                raise refusal
            checked = checker.check(item.write.patch())
            if isinstance(checked, AttriumError):
                raise checked
            target, changes = choose_target(
                item.ref,
                item.write,
                item.changes,
                _owners_of(item, owners),
                owners.get(key_of(item.ref)),
            )
            if target is not None and target in claimed:
                # A second write to one customer goes to the next round.
                round_items = round_items[:position]
                break
            if target is not None:
                claimed.add(target)
            plan = _plan(actor, item, target, changes, checked, found, owners, options, now)
            refused = await checker.admit(connection, checked)
            if refused is not None:
                raise refused
            decided.append(_Decided(item, target, changes, checked, plan))
        except AttriumError as error:
            outcomes[item.index] = BatchOutcome(error=error)
    if turn is not None:
        if len(round_items) == len(pending):
            turn.last_round_planned()
        await turn.wait()
    lost = await checker.define(connection)
    writes = _Writes()
    for choice in decided:
        try:
            plan = choice.plan
            if lost.intersection(choice.checked.new_types):
                # A concurrent writer fixed the type first: check against the winner.
                checked = checker.check(choice.item.write.patch())
                if isinstance(checked, AttriumError):
                    raise checked
                plan = _plan(
                    actor,
                    choice.item,
                    choice.target,
                    choice.changes,
                    checked,
                    found,
                    owners,
                    options,
                    now,
                )
            writes.add(choice.item.index, plan)
        except AttriumError as error:
            outcomes[choice.item.index] = BatchOutcome(error=error)
    await writes.execute(connection, actor)
    for index, outcome in writes.outcomes.items():
        outcomes[index] = outcome
    return pending[len(round_items) :]


async def _suppressed(
    connection: AsyncConnection,
    actor: Actor,
    items: list[_Pending],
    owners: dict[IdentifierKey, str],
) -> dict[int, IdentifierSuppressed | None]:
    """The refusal of each write naming a suppressed identifier, by write.

    Only identifiers nobody holds are looked up: suppressing an identifier deletes the
    customer holding it, under that customer's lock, and no write gives a suppressed
    identifier to anyone, so an identifier a customer holds is not suppressed (the
    holders were locked before this check). A write to an existing customer that names
    no new identifier costs no query.
    """
    named = [
        [
            (field, ref)
            for field, ref in (
                ("customer_id", item.ref),
                *((c.field, c.ref) for c in item.changes if c.value is not None),
            )
            if key_of(ref) not in owners
        ]
        for item in items
    ]
    if not any(named):
        return {}
    refusals = await suppression_errors(connection, actor, named)
    return {item.index: refusal for item, refusal in zip(items, refusals, strict=True)}


def _plan(
    actor: Actor,
    item: _Pending,
    target: str | None,
    changes: list[IdentifierChange],
    checked: CheckedPatch,
    found: dict[str, CustomerState],
    owners: dict[IdentifierKey, str],
    options: WriteOptions,
    now: datetime,
) -> CreatePlan | UpdatePlan:
    write = item.write
    at = write.timestamp or batch_time_text(now)
    timestamped = write.timestamp is not None
    if target is None:
        return plan_create(
            actor, item.ref, changes, checked.canonical, options, now, at, timestamped
        )
    if target not in found:
        raise NotFound(f"customer {item.ref} was deleted while this write was applied")
    owned = _owners_of(item, owners)
    patch = checked.canonical
    once = write.once_names()
    return plan_update(
        item.ref, found[target], changes, owned, patch, options, now, at, timestamped, once
    )


async def _lock_named(
    connection: AsyncConnection, workspace_id: str, items: list[_Pending]
) -> tuple[dict[str, CustomerState], dict[IdentifierKey, str]]:
    """Lock every customer holding an identifier the items name; those customers by
    profile id, and the holder of each identifier."""
    keys = [key for item in items for key in item.identifier_keys()]
    by_column: dict[str, list[str]] = {}
    custom: list[IdentifierKey] = []
    for key in keys:
        kind, _, value = key
        if kind is IdentifierKind.CUSTOM:
            custom.append(key)
        else:
            by_column.setdefault(COLUMN_NAMES[kind], []).append(value)
    owners = await holders_of(connection, workspace_id, custom)
    held_custom = [owner for owner in owners.values()]
    if held_custom:
        by_column.setdefault("profile_id", []).extend(held_custom)
    locked = await store.lock_holders(connection, workspace_id, by_column)
    found = {pid: CustomerState(row, custom_ids) for pid, (row, custom_ids) in locked.items()}
    for state in found.values():
        for kind, column in COLUMN_NAMES.items():
            value = state.row[column]
            if value is not None:
                owners[(kind, None, value)] = state.profile_id
    return found, owners


def _owners_of(
    item: _Pending, owners: dict[IdentifierKey, str]
) -> dict[IdentifierChange, str | None]:
    return {c: owners.get(key_of(c.ref)) for c in item.changes if c.value is not None}


@dataclass(slots=True)
class _Writes:
    """The planned writes of one round, executed as a handful of statements."""

    creates: list[CreatePlan] = field(default_factory=list)
    updates: list[UpdatePlan] = field(default_factory=list)
    outcomes: dict[int, BatchOutcome] = field(default_factory=dict)
    stat_changes: attribute_stats.StatChanges = field(default_factory=attribute_stats.StatChanges)

    def add(self, index: int, plan: CreatePlan | UpdatePlan) -> None:
        if isinstance(plan, CreatePlan):
            self.creates.append(plan)
            self.stat_changes.add_created(plan.state.row["attributes"])
            outcome = BatchOutcome(plan.state, created=True, changed=True, conflicts=plan.conflicts)
        else:
            self.updates.append(plan)
            self.stat_changes.add_changed(
                plan.attributes_gained, plan.attributes_lost, plan.attributes_written
            )
            outcome = BatchOutcome(plan.state, changed=plan.changed, conflicts=plan.conflicts)
        self.outcomes[index] = outcome

    async def execute(self, connection: AsyncConnection, actor: Actor) -> None:
        workspace_id = actor.workspace_id
        changed = [plan for plan in self.updates if plan.changed or plan.times_moved]
        entries = [entry for plan in self.creates for entry in plan.entries]
        entries.extend(entry for plan in self.updates for entry in plan.entries)
        await storing.store_writes(
            connection,
            actor,
            [plan.state for plan in self.creates],
            [plan.state for plan in changed],
            entries,
            self.stat_changes,
        )
        new_custom = [
            (plan.state.profile_id, name, value)
            for plan in self.creates
            for name, value in plan.state.custom_identifiers.items()
        ]
        await store.set_custom_identifiers(connection, workspace_id, new_custom, fresh=True)
        custom_changes = [
            (plan.state.profile_id, name, value)
            for plan in changed
            for name, value in plan.custom_identifier_changes.items()
        ]
        await store.set_custom_identifiers(connection, workspace_id, custom_changes)
