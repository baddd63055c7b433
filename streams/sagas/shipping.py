"""Shipping: schedules a shipment once the order is charged; may fail (the failure knob)."""

from __future__ import annotations

from typing import Any

from streams.sagas.events import saga_event
from streams.sagas.participant import Participant


class Shipping(Participant):
    name = "shipping"
    steps = frozenset({"ship"})

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.shipments: dict[str, str] = {}  # saga → ShipmentScheduled or ShipmentFailed

    def trigger(self, event: dict[str, Any]) -> str | None:
        return "ship" if event["type"] == "PaymentCharged" else None

    def decide(self, step: str, facts: dict[str, Any], attempt: int) -> dict[str, Any]:
        saga = facts["saga_id"]
        common = {"attempt": attempt, "items": facts["items"],
                  "amount_cents": int(facts["amount_cents"]),
                  "currency": facts.get("currency", "EUR")}  # fmt: skip
        if self.knobs.ship_fails(saga):
            return saga_event("ShipmentFailed", saga, reason="no carrier slot (knob)", **common)
        return saga_event("ShipmentScheduled", saga, **common)

    def apply(self, answer: dict[str, Any]) -> None:
        self.shipments[answer["saga_id"]] = answer["type"]

    def unapply(self, answer: dict[str, Any]) -> None:
        self.shipments.pop(answer["saga_id"], None)

    def tables(self) -> dict[str, Any]:
        return {"shipments": self.shipments}

    def load_tables(self, body: dict[str, Any]) -> None:
        self.shipments = body["shipments"]
