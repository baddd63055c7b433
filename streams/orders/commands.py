"""The write side of orders: a command is checked against its order's state and appended as the
order's next event, by the one member that owns the order's partition.

The state a command is checked against is the fold of the order's log (the member's book of the
partition, restored from its snapshot and read to the partition's end before any command is
taken) plus the events this member appended and has not read back yet (``pending``): a second
command right after a first one sees the first, even while the broker is down and the first
waits in the outbox. Decisions are made one at a time per process, and an order has at most one
command in flight (the next waits until its event is acknowledged) while other orders' commands
go on, so two commands on one order never both pass a check against the same version; a client
that names the version it expects gets a conflict when the order moved on, never a lost
update.

Events go out through the producers' Publisher: a command is accepted once its event is
acknowledged by the broker (acks=all) or durable in the outbox (replayed when the broker is
back). A retried command (the same idempotency key) answers with the first result and appends
nothing: the key is stored in the event and folded into the order's state.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from producers.publisher import Acknowledgement, Publisher
from streams.errors import StreamError
from streams.orders.aggregate import NS, OrderState, Status, apply, decide
from streams.orders.routing import partition_for
from streams.projections.worker import ProjectionWorker

ANSWER_WITHIN_S = 10.0
POLL_S = 0.002  # between two rounds of delivery reports while a command waits for its ack
KINDS = {"place": "OrderPlaced", "pay": "OrderPaid", "ship": "OrderShipped",
         "cancel": "OrderCancelled"}  # fmt: skip
METHODS = ("CARD", "PAYPAL", "BANK_TRANSFER")
IDS = uuid.UUID("5a0b4f0e-7c1d-4a57-9d2e-0d3f6e1b2c4a")  # order ids derived from idempotency keys


class InvalidCommandError(StreamError):
    """A command whose body is malformed (HTTP 422), naming the field."""


class UnknownOrderError(StreamError):
    """A command on an order that was never placed (HTTP 404)."""


class NotOwnedError(StreamError):
    """This member does not own (or has not caught up on) the order's partition."""

    def __init__(self, order_id: str, partition: int) -> None:
        super().__init__(f"order {order_id} lives in partition {partition}, not owned here")
        self.partition = partition


class NotConfirmedError(StreamError):
    """The event was neither acknowledged by the broker nor kept in the outbox in time."""


@dataclass(frozen=True)
class Accepted:
    order_id: str
    version: int
    status: str
    partition: int
    delivery: str  # delivered | queued (in the outbox) | replayed (a retry: nothing appended)
    event_id: str | None = None

    def answer(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "version": self.version, "status": self.status,
                "partition": self.partition, "delivery": self.delivery,
                "event_id": self.event_id}  # fmt: skip


def order_id_for(command_id: str | None) -> str:
    """A new order's id: derived from its idempotency key (a retried place finds the same order),
    else random."""
    if command_id is None:
        return f"o-{uuid.uuid4().hex[:12]}"
    return f"o-{uuid.uuid5(IDS, command_id).hex[:12]}"


class OrderCommands:
    def __init__(self, worker: ProjectionWorker, publisher: Publisher, topic: str) -> None:
        self._worker = worker
        self._publisher = publisher
        self._topic = topic
        self._lock = threading.Lock()  # decisions and the Publisher: one thread at a time
        self._pending: dict[str, list[dict[str, Any]]] = {}  # appended, not read back yet
        self._inflight: dict[str, threading.Event] = {}  # order → set once its event settled
        self._acks: dict[int, Acknowledgement] = {}  # id(event) → its acknowledgement
        self._awaited: set[int] = set()  # the ids of events a command waits for
        self._acked = threading.Condition()
        publisher.on_ack = self._on_ack
        self.counts = {"accepted": 0, "queued": 0, "replayed": 0, "conflict": 0, "refused": 0}

    def partition(self, order_id: str) -> int:
        return partition_for(order_id, self._worker.partitions)

    def owned(self) -> list[int]:
        with self._worker.lock:
            return sorted(self._worker.books)

    def owns(self, order_id: str) -> bool:
        """True when this member may decide on ``order_id`` now (owned and caught up)."""
        return self._worker.caught_up(self.partition(order_id))

    def state(self, order_id: str) -> OrderState:
        """The order as its log says, with this member's events not read back yet."""
        p = self.partition(order_id)
        with self._worker.lock:
            book = self._worker.books.get(p)
            if book is None:
                raise NotOwnedError(order_id, p)
            fold = book.folds.get(order_id)
            state = OrderState(order_id) if fold is None else fold.state
            seen = set() if fold is None else set(fold.seen)
        # read back, or superseded: the log has that version from another writer (an owner
        # that took the partition while this member's event waited in its outbox)
        waiting = [e for e in self._pending.get(order_id, ())
                   if e["event_id"] not in seen and e["version"] > state.version]  # fmt: skip
        if waiting:
            self._pending[order_id] = waiting
        else:
            self._pending.pop(order_id, None)
        for event in waiting:
            if event["version"] == state.version + 1:
                state = apply(state, event)
        return state

    def tick(self) -> None:
        """Between commands: probe a broker that was down and replay a step of the outbox."""
        with self._lock:
            self._publisher.recover()

    def handle(
        self,
        kind: str,
        order_id: str,
        body: dict[str, Any],
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> Accepted:
        """Check and append one command (``kind`` in KINDS). Raises VersionConflictError (409),
        CommandRefusedError or InvalidCommandError (422), UnknownOrderError (404),
        NotOwnedError (not this member's order) or NotConfirmedError (503)."""
        p = self.partition(order_id)
        if not self.owns(order_id):
            raise NotOwnedError(order_id, p)
        deadline = time.monotonic() + ANSWER_WITHIN_S
        while True:  # one command of an order in flight at a time; other orders go on
            with self._lock:
                busy = self._inflight.get(order_id)
                if busy is None:
                    state = self.state(order_id)
                    event = self._decide(state, kind, order_id, body, command_id,
                                         expected_version)  # fmt: skip
                    if event is None:
                        self.counts["replayed"] += 1
                        first = state.commands[command_id or ""]
                        return Accepted(order_id, first, state.status.value, p, "replayed")
                    with self._acked:
                        self._awaited.add(id(event))  # alive in _pending: its id is its own
                    try:
                        self._publisher.send(self._topic, order_id, event)
                    except Exception:
                        with self._acked:
                            self._awaited.discard(id(event))
                        raise
                    # seen by the next decisions at once; kept if it is not confirmed in time:
                    # the Publisher delivers it later or keeps it in the outbox
                    self._pending.setdefault(order_id, []).append(event)
                    settled = self._inflight[order_id] = threading.Event()
                    break
            busy.wait(max(0.0, deadline - time.monotonic()))
        try:
            ack = self._await(event, deadline)
        finally:
            with self._lock:
                del self._inflight[order_id]
            settled.set()
        if ack is None:
            raise NotConfirmedError(
                f"the event of order {order_id} was not confirmed within {ANSWER_WITHIN_S:g} s "
                "(the broker went away with it in flight; it is delivered once the broker is "
                "back, or kept in the outbox); send the command again with the same "
                "Idempotency-Key to learn its outcome"
            )
        delivery = ack.how.value
        with self._lock:
            self.counts["accepted"] += 1
            self.counts["queued"] += delivery == "queued"
        after = apply(state, event)
        return Accepted(order_id, int(event["version"]), after.status.value, p, delivery,
                        event["event_id"])  # fmt: skip

    def _decide(
        self,
        state: OrderState,
        kind: str,
        order_id: str,
        body: dict[str, Any],
        command_id: str | None,
        expected_version: int | None,
    ) -> dict[str, Any] | None:
        """The event ``kind`` appends to ``state`` (None: a retry of ``command_id``)."""
        if kind != "place" and state.status is Status.NEW:
            raise UnknownOrderError(f"no order {order_id}")
        event_kind = KINDS[kind]
        try:
            version = decide(state, event_kind, command_id, expected_version)
        except StreamError as e:
            self.counts["conflict" if hasattr(e, "current") else "refused"] += 1
            raise
        if version is None:
            return None
        payload = _payload(event_kind, state, body)
        return _event(state, order_id, event_kind, payload, version, command_id, body)

    def _on_ack(self, ack: Acknowledgement) -> None:
        with self._acked:
            if id(ack.event) in self._awaited:
                self._acks[id(ack.event)] = ack
                self._acked.notify_all()

    def _await(self, event: dict[str, Any], deadline: float) -> Acknowledgement | None:
        """``event``'s acknowledgement, serving the Publisher's reports meanwhile."""
        key = id(event)
        while True:
            with self._acked:
                if key in self._acks:
                    self._awaited.discard(key)
                    return self._acks.pop(key)
                if time.monotonic() >= deadline:
                    self._awaited.discard(key)
                    return None
            with self._lock:
                self._publisher.serve(0)
            with self._acked:  # an other command's round may have served ours
                self._acked.wait_for(lambda: key in self._acks, POLL_S)


def _event(
    state: OrderState,
    order_id: str,
    kind: str,
    payload: dict[str, Any],
    version: int,
    command_id: str | None,
    body: dict[str, Any],
) -> dict[str, Any]:
    placing = kind == "OrderPlaced"
    return {
        "event_id": str(uuid.uuid4()),
        "event_time": datetime.now(UTC),
        "order_id": order_id,
        "customer_id": _text(body, "customer_id") if placing else state.customer_id,
        "region": _text(body, "region") if placing else state.region,
        "producer": "tide-orders",
        "trace_id": uuid.uuid4().hex,
        "version": version,
        "command_id": command_id,
        "payload": (NS + kind, payload),
    }


def _payload(kind: str, state: OrderState, body: dict[str, Any]) -> dict[str, Any]:
    if kind == "OrderPlaced":
        items = [_line(i, line) for i, line in enumerate(_list(body, "items"))]
        total = sum(line["quantity"] * line["unit_price_cents"] for line in items)
        currency = body.get("currency", "EUR")
        if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
            raise InvalidCommandError(f"currency must be a 3-letter code, not {currency!r}")
        return {"items": items, "total_cents": total, "currency": currency.upper()}
    if kind == "OrderPaid":
        amount = body.get("amount_cents", state.total_cents)
        if amount != state.total_cents:
            raise InvalidCommandError(
                f"amount_cents {amount!r} does not match the order's total {state.total_cents}"
            )
        method = str(body.get("method", "CARD")).upper()
        if method not in METHODS:
            raise InvalidCommandError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
        payment = body.get("payment_id") or uuid.uuid4().hex
        return {"payment_id": str(payment), "amount_cents": amount, "method": method}
    if kind == "OrderShipped":
        shipment = body.get("shipment_id") or uuid.uuid4().hex
        return {"shipment_id": str(shipment), "carrier": _text(body, "carrier", "DHL")}
    return {"reason": _text(body, "reason", "customer request")}


def _text(body: dict[str, Any], name: str, default: str | None = None) -> str:
    value = body.get(name, default)
    if not isinstance(value, str) or not value.strip():
        raise InvalidCommandError(f"{name} must be a non-empty string, not {value!r}")
    return value


def _list(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name)
    if not isinstance(value, list) or not value:
        raise InvalidCommandError(f"{name} must be a non-empty list")
    return value


def _line(i: int, line: Any) -> dict[str, Any]:
    if not isinstance(line, dict):
        raise InvalidCommandError(f"items[{i}] must be an object with sku, quantity, "
                                  "unit_price_cents")  # fmt: skip
    sku = line.get("sku")
    quantity, price = line.get("quantity"), line.get("unit_price_cents")
    if not isinstance(sku, str) or not sku:
        raise InvalidCommandError(f"items[{i}].sku must be a non-empty string")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise InvalidCommandError(f"items[{i}].quantity must be a positive integer, not "
                                  f"{quantity!r}")  # fmt: skip
    if not isinstance(price, int) or isinstance(price, bool) or price < 0:
        raise InvalidCommandError(f"items[{i}].unit_price_cents must be a non-negative integer, "
                                  f"not {price!r}")  # fmt: skip
    return {"sku": sku, "quantity": quantity, "unit_price_cents": price}
