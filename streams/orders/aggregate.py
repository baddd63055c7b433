"""The event-sourced order: its state, the rules of its life, and how events fold into it.

An order's state is the fold of its events in version order. Every event carries the order's
version after it (1 for OrderPlaced); the log decides: the first event at a version wins; a later
one at the same version, or one whose event id was folded in already, is a duplicate (a
redelivery, or a zombie writer's) and changes nothing; an event ahead of the next version waits
until the gap is filled. Events written before versions existed carry 0 and take the next
version by their position in the log (only their event id tells a redelivery apart).

``decide`` is the write side: it checks a command against the state (expected version, the
transition rules, the idempotency key) and returns the event to append, or raises naming the
rule. Both sides use the same fold, so a command is validated against exactly what readers see.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from streams.errors import StreamError

NS = "tide.orders."
DEFAULT_CURRENCY = "EUR"  # what an OrderPlaced written before `currency` existed means


class Status(StrEnum):
    NEW = "NEW"  # no event yet
    PLACED = "PLACED"
    PAID = "PAID"
    SHIPPED = "SHIPPED"
    CANCELLED = "CANCELLED"


EVENT_STATUS = {
    "OrderPlaced": Status.PLACED,
    "OrderPaid": Status.PAID,
    "OrderShipped": Status.SHIPPED,
    "OrderCancelled": Status.CANCELLED,
}
# the statuses each event may follow: the rules of an order's life
ALLOWED_FROM = {
    "OrderPlaced": {Status.NEW},
    "OrderPaid": {Status.PLACED},
    "OrderShipped": {Status.PAID},
    "OrderCancelled": {Status.PLACED, Status.PAID},
}


class CommandRefusedError(StreamError):
    """A command that breaks a rule of the order's life (HTTP 422), naming the rule."""


class VersionConflictError(StreamError):
    """The order is not at the version the command expected (HTTP 409)."""

    def __init__(self, order_id: str, expected: int, current: int) -> None:
        super().__init__(f"order {order_id} is at version {current}, not {expected}")
        self.current = current


@dataclass(frozen=True)
class OrderState:
    order_id: str
    version: int = 0
    status: Status = Status.NEW
    customer_id: str | None = None
    region: str | None = None
    items: tuple[dict[str, Any], ...] = ()
    total_cents: int = 0
    currency: str = DEFAULT_CURRENCY
    reason: str | None = None  # why it was cancelled
    at: dict[str, str] = field(default_factory=dict)  # status → ISO time of that transition
    commands: dict[str, int] = field(default_factory=dict)  # idempotency key → version written


def upcast(event: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The event's type (without namespace) and payload in today's shape, whatever wrote it."""
    name, body = event["payload"]
    kind = str(name).removeprefix(NS)
    if kind == "OrderPlaced" and "currency" not in body:
        body = {**body, "currency": DEFAULT_CURRENCY}
    return kind, body


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def apply(state: OrderState, event: dict[str, Any]) -> OrderState:
    """``state`` after ``event``, which must be the next one (see ``Fold`` for the log's rules)."""
    kind, body = upcast(event)
    changes: dict[str, Any] = {
        "version": state.version + 1,
        "status": EVENT_STATUS[kind],
        "at": {**state.at, EVENT_STATUS[kind].value: _iso(event["event_time"])},
    }
    if event.get("command_id"):
        changes["commands"] = {**state.commands, event["command_id"]: state.version + 1}
    if kind == "OrderPlaced":
        changes |= {
            "customer_id": event["customer_id"],
            "region": event["region"],
            "items": tuple(body["items"]),
            "total_cents": body["total_cents"],
            "currency": body["currency"],
        }
    elif kind == "OrderCancelled":
        changes["reason"] = body["reason"]
    return replace(state, **changes)


@dataclass
class Fold:
    """One order's state as its log says, tolerant of redelivery and out-of-order events."""

    state: OrderState
    waiting: dict[int, dict[str, Any]] = field(default_factory=dict)  # version → early event
    duplicates: int = 0
    seen: set[str] = field(default_factory=set)  # event ids folded in (an order has a few)

    def add(self, event: dict[str, Any]) -> bool:
        """Fold ``event`` in; False when it changed nothing (a duplicate, or early: kept)."""
        version = int(event.get("version") or 0) or self.state.version + 1
        event_id = str(event["event_id"])
        if version <= self.state.version or event_id in self.seen:
            self.duplicates += 1
            return False
        if version > self.state.version + 1:
            self.waiting.setdefault(version, event)
            return False
        self._apply(event)
        while self.state.version + 1 in self.waiting:
            self._apply(self.waiting.pop(self.state.version + 1))
        return True

    def _apply(self, event: dict[str, Any]) -> None:
        self.state = apply(self.state, event)
        self.seen.add(str(event["event_id"]))


def decide(
    state: OrderState, kind: str, command_id: str | None, expected_version: int | None
) -> int | None:
    """Check a command against ``state``: the version its event takes, or None when
    ``command_id`` was applied already (a retry: answer with the first result, append nothing).
    Raises VersionConflictError or CommandRefusedError naming the rule."""
    if command_id is not None and command_id in state.commands:
        return None
    if expected_version is not None and expected_version != state.version:
        raise VersionConflictError(state.order_id, expected_version, state.version)
    if state.status not in ALLOWED_FROM[kind]:
        allowed = " or ".join(sorted(s.value for s in ALLOWED_FROM[kind]))
        raise CommandRefusedError(
            f"{kind} needs an order that is {allowed}; order {state.order_id} is "
            f"{state.status.value}"
        )
    return state.version + 1
