"""What a write answers to a key that may not read customers.

A key without `attributes:read` may write, but its answers must not carry what is
stored: a PUT with `update_only`, or an empty PATCH, would otherwise read any
customer's attributes. Such a key gets a receipt of its write instead: the customer's
`profile_id` (which the answer's `Location` names anyway), the identifiers and the
attributes the request itself sent (not what the customer held before or holds
besides), and no timestamps. Every write path (native routes, the batch route, the
dialects) answers through `customers.service`, which applies this once.
"""

from dataclasses import replace

from attrium.auth.actor import Actor
from attrium.auth.scopes import Scope
from attrium.customers.identity import CustomerRef, IdentifierKind
from attrium.customers.models import Customer, CustomerWrite, WriteOutcome


def may_read(actor: Actor) -> bool:
    return Scope.ATTRIBUTES_READ in actor.scopes


def receipt(customer: Customer, ref: CustomerRef, write: CustomerWrite) -> Customer:
    """`customer` reduced to what the write that named it by `ref` sent."""
    sent = {kind: value for kind, value in write.identifiers.items() if value is not None}
    if ref.kind in _COLUMNS:
        sent.setdefault(ref.kind, ref.value)
    custom = {name: value for name, value in write.custom_identifiers.items() if value is not None}
    if ref.kind is IdentifierKind.CUSTOM and ref.name is not None:
        custom.setdefault(ref.name, ref.value)
    return Customer(
        profile_id=customer.profile_id,
        id=sent.get(IdentifierKind.ID),
        email=sent.get(IdentifierKind.EMAIL),
        phone=sent.get(IdentifierKind.PHONE),
        anonymous_id=sent.get(IdentifierKind.ANONYMOUS_ID),
        custom_identifiers=custom,
        attributes={name: value for name, value in write.attributes.items() if value is not None},
        created_at=None,
        updated_at=None,
    )


def seen_by(actor: Actor, customer: Customer, ref: CustomerRef, write: CustomerWrite) -> Customer:
    """The customer a write named by `ref` answers, as its key may see it."""
    return customer if may_read(actor) else receipt(customer, ref, write)


def as_answered(
    actor: Actor, ref: CustomerRef, write: CustomerWrite, outcome: WriteOutcome
) -> WriteOutcome:
    """The outcome of a write as its key may see it."""
    if may_read(actor):
        return outcome
    return replace(outcome, customer=receipt(outcome.customer, ref, write))


_COLUMNS = (
    IdentifierKind.ID,
    IdentifierKind.EMAIL,
    IdentifierKind.PHONE,
    IdentifierKind.ANONYMOUS_ID,
)
