"""The saga's events: their types, the step each answers, and ids derived from the step.

An event's id is uuid5 of (saga id, step, attempt), so a step re-emitted after a crash is the
same event. Readers keep the first outcome of a step in the log (``first_outcomes``): a
redelivery, or a second answer to a retried step, changes nothing.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any

NAMESPACE = uuid.UUID("6b0f4c52-7a8e-4d7e-9a55-5a6a2f1d0c10")

# outcome event type → the step it answers
STEP_OF = {
    "InventoryReserved": "reserve",
    "OutOfStock": "reserve",
    "PaymentCharged": "charge",
    "PaymentDeclined": "charge",
    "ShipmentScheduled": "ship",
    "ShipmentFailed": "ship",
    "PaymentRefunded": "refund",
    "InventoryReleased": "release",
    "OrderConfirmed": "confirm",
    "SagaCancelled": "cancel",
}
RETRY = "StepRetryRequested"
# after an outcome, the step the saga waits for next (None: the saga is over)
NEXT_STEP: dict[str, str | None] = {
    "OrderPlaced": "reserve",
    "InventoryReserved": "charge",
    "PaymentCharged": "ship",
    "ShipmentScheduled": "confirm",
    "OutOfStock": "cancel",
    "PaymentDeclined": "release",
    "ShipmentFailed": "refund",
    "PaymentRefunded": "release",
    "InventoryReleased": "cancel",
    "OrderConfirmed": None,
    "SagaCancelled": None,
}
COMPENSATIONS = {"refund", "release"}


def event_id(saga_id: str, step: str, attempt: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{saga_id}/{step}/{attempt}"))


def now_ms() -> int:
    return int(time.time() * 1000)


def saga_event(
    kind: str,
    saga_id: str,
    *,
    attempt: int = 1,
    reason: str | None = None,
    amount_cents: int = 0,
    currency: str = "EUR",
    items: Iterable[dict[str, Any]] = (),
    step: str | None = None,
) -> dict[str, Any]:
    """A saga event record (the saga_events contract) of type ``kind``."""
    step = step or STEP_OF[kind]
    return {
        "event_id": event_id(saga_id, step, attempt),
        "event_time": now_ms(),
        "saga_id": saga_id,
        "type": kind,
        "step": step,
        "attempt": attempt,
        "reason": reason,
        "amount_cents": amount_cents,
        "currency": currency,
        "items": [{"sku": i["sku"], "quantity": int(i["quantity"])} for i in items],
    }


def retry_request(
    saga_id: str, step: str, attempt: int, trigger: dict[str, Any], reason: str | None
) -> dict[str, Any]:
    """Ask the participant of ``step`` again (``attempt`` ≥ 2), with what it needs to answer."""
    return saga_event(
        RETRY,
        saga_id,
        attempt=attempt,
        reason=reason,
        amount_cents=trigger.get("amount_cents", 0),
        currency=trigger.get("currency", "EUR"),
        items=trigger.get("items", ()),
        step=f"retry:{step}",
    )


def retried_step(event: dict[str, Any]) -> str | None:
    """The step a retry request asks for (None for any other event)."""
    if event["type"] != RETRY:
        return None
    return str(event["step"]).removeprefix("retry:")


def from_order_placed(order: dict[str, Any]) -> dict[str, Any] | None:
    """The saga's starting facts from an order event, if it is an OrderPlaced (else None)."""
    name, body = order["payload"]
    if not str(name).endswith("OrderPlaced"):
        return None
    return {
        "type": "OrderPlaced",
        "attempt": 1,
        "saga_id": order["order_id"],
        "amount_cents": int(body["total_cents"]),
        "currency": body.get("currency", "EUR"),
        "items": [{"sku": i["sku"], "quantity": int(i["quantity"])} for i in body["items"]],
        "reason": None,
    }


def normalized(event: dict[str, Any]) -> dict[str, Any]:
    """A decoded saga event with its id as text and its time in epoch ms (fastavro gives a UUID
    and a datetime), as the step logic and the checkpoints hold it."""
    out = dict(event)
    out["event_id"] = str(event["event_id"])
    when = event["event_time"]
    out["event_time"] = when if isinstance(when, int) else int(when.timestamp() * 1000)
    return out
