"""Failure knobs of the participants: deterministic given a seed and the saga id.

``roll(seed, saga_id, what)`` is a number in [0, 1) that depends on nothing else, so a test (or a
demo's reader) can compute each saga's fate up front with ``expected_outcome``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


def roll(seed: int, saga_id: str, what: str) -> float:
    digest = hashlib.sha256(f"{seed}/{saga_id}/{what}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class Knobs:
    seed: int = 0
    stockout_rate: float = 0.0  # a reservation answered OutOfStock whatever the stock
    decline_rate: float = 0.0  # a charge declined
    ship_fail_rate: float = 0.0  # a shipment that cannot be scheduled
    delay_rate: float = 0.0  # a participant answers this share of sagas late...
    delay_s: float = 0.0  # ...by this long (a step that times out and is retried)
    initial_stock: int = 1_000  # units of every SKU in each partition's share of the stock

    def stockout(self, saga_id: str) -> bool:
        return roll(self.seed, saga_id, "stockout") < self.stockout_rate

    def declined(self, saga_id: str) -> bool:
        return roll(self.seed, saga_id, "decline") < self.decline_rate

    def ship_fails(self, saga_id: str) -> bool:
        return roll(self.seed, saga_id, "ship") < self.ship_fail_rate

    def delay_ms(self, saga_id: str, participant: str) -> int:
        late = roll(self.seed, saga_id, f"delay/{participant}") < self.delay_rate
        return int(self.delay_s * 1000) if late else 0


def expected_outcome(knobs: Knobs, saga_id: str) -> tuple[str, list[str]]:
    """The outcome the knobs give ``saga_id`` (stock never short) and its events in order."""
    if knobs.stockout(saga_id):
        return "CANCELLED", ["OutOfStock", "SagaCancelled"]
    if knobs.declined(saga_id):
        return "CANCELLED", ["InventoryReserved", "PaymentDeclined", "InventoryReleased",
                             "SagaCancelled"]  # fmt: skip
    if knobs.ship_fails(saga_id):
        return "CANCELLED", ["InventoryReserved", "PaymentCharged", "ShipmentFailed",
                             "PaymentRefunded", "InventoryReleased", "SagaCancelled"]  # fmt: skip
    return "CONFIRMED", ["InventoryReserved", "PaymentCharged", "ShipmentScheduled",
                         "OrderConfirmed"]  # fmt: skip
