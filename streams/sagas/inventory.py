"""Inventory: reserves an order's items, releases them when a later step fails, and closes every
saga (OrderConfirmed once shipment is scheduled, SagaCancelled once nothing is held).

Stock is partitioned with the saga: each partition of ``saga_events`` holds its own share of
every SKU's stock (``Knobs.initial_stock`` units each, created when a SKU is first seen), and
only the partition's owner changes it, so no two members ever decide on the same units. When a
replay after a crash decides a reservation otherwise than the first run (stock short, the two
topics interleaved differently), the answer first in the log is adopted (``Participant.settle``):
that partition's stock may then go below zero, which ``stock`` shows as it is.
"""

from __future__ import annotations

from typing import Any

from streams.sagas.events import saga_event
from streams.sagas.participant import Participant

TRIGGERS = {
    "OrderPlaced": "reserve",
    "PaymentDeclined": "release",
    "PaymentRefunded": "release",
    "ShipmentScheduled": "confirm",
    "OutOfStock": "cancel",
    "InventoryReleased": "cancel",
}


class Inventory(Participant):
    name = "inventory"
    steps = frozenset(TRIGGERS.values())
    reads_orders = True

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.stock: dict[str, int] = {}  # sku → units left in this partition's share
        self.reservations: dict[str, list[dict[str, Any]]] = {}  # saga → items held
        self.released: dict[str, list[dict[str, Any]]] = {}  # saga → items given back
        self.confirmed: dict[str, list[dict[str, Any]]] = {}  # saga → items sold

    def trigger(self, event: dict[str, Any]) -> str | None:
        return TRIGGERS.get(event["type"])

    def decide(self, step: str, facts: dict[str, Any], attempt: int) -> dict[str, Any]:
        saga = facts["saga_id"]
        if step == "reserve":
            return self._reserve(saga, facts, attempt)
        items = self.reservations.get(saga, [])
        if step == "release":
            return saga_event("InventoryReleased", saga, attempt=attempt, items=items,
                              reason=facts.get("reason"))  # fmt: skip
        if step == "confirm":
            return saga_event("OrderConfirmed", saga, attempt=attempt, items=items,
                              amount_cents=facts.get("amount_cents", 0))  # fmt: skip
        return saga_event("SagaCancelled", saga, attempt=attempt, reason=facts.get("reason"))

    def _left(self, sku: str) -> int:
        return self.stock.get(sku, self.knobs.initial_stock)

    def _reserve(self, saga: str, facts: dict[str, Any], attempt: int) -> dict[str, Any]:
        items = facts["items"]
        short = [i["sku"] for i in items if self._left(i["sku"]) < i["quantity"]]
        if short or self.knobs.stockout(saga):
            reason = f"out of stock: {', '.join(short)}" if short else "out of stock (knob)"
            return saga_event("OutOfStock", saga, attempt=attempt, items=items, reason=reason)
        return saga_event("InventoryReserved", saga, attempt=attempt, items=items,
                          amount_cents=facts["amount_cents"],
                          currency=facts.get("currency", "EUR"))  # fmt: skip

    def _move(self, items: list[dict[str, Any]], sign: int) -> None:
        for line in items:
            self.stock[line["sku"]] = self._left(line["sku"]) + sign * line["quantity"]

    def apply(self, answer: dict[str, Any]) -> None:
        kind, saga, items = answer["type"], answer["saga_id"], answer["items"]
        if kind == "InventoryReserved":
            self._move(items, -1)
            self.reservations[saga] = items
        elif kind == "InventoryReleased":
            self._move(items, +1)
            self.released[saga] = items
        elif kind == "OrderConfirmed":
            self.confirmed[saga] = items

    def unapply(self, answer: dict[str, Any]) -> None:
        kind, saga, items = answer["type"], answer["saga_id"], answer["items"]
        if kind == "InventoryReserved":
            self._move(items, +1)
            self.reservations.pop(saga, None)
        elif kind == "InventoryReleased":
            self._move(items, -1)
            self.released.pop(saga, None)
        elif kind == "OrderConfirmed":
            self.confirmed.pop(saga, None)

    def tables(self) -> dict[str, Any]:
        return {"stock": self.stock, "reservations": self.reservations,
                "released": self.released, "confirmed": self.confirmed}  # fmt: skip

    def load_tables(self, body: dict[str, Any]) -> None:
        self.stock, self.reservations = body["stock"], body["reservations"]
        self.released, self.confirmed = body["released"], body["confirmed"]
