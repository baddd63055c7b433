"""Payment: charges an order once its items are reserved, refunds it when shipment fails."""

from __future__ import annotations

from typing import Any

from streams.sagas.events import saga_event
from streams.sagas.participant import Participant

TRIGGERS = {"InventoryReserved": "charge", "ShipmentFailed": "refund"}


class Payment(Participant):
    name = "payment"
    steps = frozenset(TRIGGERS.values())

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.charges: dict[str, int] = {}  # saga → cents charged
        self.refunds: dict[str, int] = {}  # saga → cents refunded
        self.declined: dict[str, int] = {}  # saga → cents declined

    def trigger(self, event: dict[str, Any]) -> str | None:
        return TRIGGERS.get(event["type"])

    def decide(self, step: str, facts: dict[str, Any], attempt: int) -> dict[str, Any]:
        saga, amount = facts["saga_id"], int(facts["amount_cents"])
        common = {"attempt": attempt, "items": facts["items"],
                  "currency": facts.get("currency", "EUR")}  # fmt: skip
        if step == "refund":
            return saga_event("PaymentRefunded", saga, amount_cents=self.charges.get(saga, 0),
                              reason=facts.get("reason"), **common)  # fmt: skip
        if self.knobs.declined(saga):
            return saga_event("PaymentDeclined", saga, amount_cents=amount,
                              reason="card declined (knob)", **common)  # fmt: skip
        return saga_event("PaymentCharged", saga, amount_cents=amount, **common)

    def _table(self, kind: str) -> dict[str, int]:
        return {"PaymentCharged": self.charges, "PaymentRefunded": self.refunds,
                "PaymentDeclined": self.declined}[kind]  # fmt: skip

    def apply(self, answer: dict[str, Any]) -> None:
        self._table(answer["type"])[answer["saga_id"]] = answer["amount_cents"]

    def unapply(self, answer: dict[str, Any]) -> None:
        self._table(answer["type"]).pop(answer["saga_id"], None)

    def tables(self) -> dict[str, Any]:
        return {"charges": self.charges, "refunds": self.refunds, "declined": self.declined}

    def load_tables(self, body: dict[str, Any]) -> None:
        self.charges, self.refunds = body["charges"], body["refunds"]
        self.declined = body["declined"]
