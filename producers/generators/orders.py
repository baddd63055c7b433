"""Order lifecycles: placed, then paid or cancelled, then shipped (or, rarely, cancelled)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from producers.generators.clicks import REGIONS
from producers.generators.clock import EventClock

NS = "tide.orders."
CARRIERS = ["dhl", "ups", "fedex", "postnl"]
METHODS = {"CARD": 0.7, "PAYPAL": 0.25, "BANK_TRANSFER": 0.05}


def _placed(rng: random.Random) -> tuple[str, dict[str, Any]]:
    lines: list[dict[str, Any]] = [
        {
            "sku": f"sku-{rng.randint(1, 500):04d}",
            "quantity": rng.choice([1, 1, 1, 2, 3]),
            "unit_price_cents": rng.choice([499, 999, 1999, 4999, 12999]),
        }
        for _ in range(rng.choice([1, 1, 2, 3, 5]))
    ]
    total = sum(line["quantity"] * line["unit_price_cents"] for line in lines)
    return NS + "OrderPlaced", {"items": lines, "total_cents": total, "currency": "EUR"}


def _next_step(state: str, total: int, rng: random.Random) -> tuple[str, dict[str, Any]]:
    """The event that follows ``state`` in an order's life."""
    if state == "OrderPlaced" and rng.random() < 0.9:
        method = rng.choices(list(METHODS), list(METHODS.values()))[0]
        return NS + "OrderPaid", {
            "payment_id": uuid.UUID(int=rng.getrandbits(128)).hex,
            "amount_cents": total,
            "method": method,
        }
    if state == "OrderPaid" and rng.random() < 0.95:
        return NS + "OrderShipped", {
            "shipment_id": uuid.UUID(int=rng.getrandbits(128)).hex,
            "carrier": rng.choice(CARRIERS),
        }
    reason = "payment declined" if state == "OrderPlaced" else "customer request"
    return NS + "OrderCancelled", {"reason": reason}


def orders(
    count: int, clock: EventClock, seed: int | None = None, customers: int = 500
) -> Iterator[tuple[str, dict[str, Any]]]:
    """``count`` order events as (key, record) pairs keyed by ``order_id``, lives interleaved."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    open_orders: dict[str, dict[str, Any]] = {}
    for i in range(count):
        event_ms = clock.at(i, rng)
        if not open_orders or rng.random() < 0.4:
            order_id = f"o-{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}"
            customer = rng.randrange(customers)
            name, payload = _placed(rng)
            home = random.Random(customer)  # noqa: S311 - a customer's region never changes
            region = home.choices(list(REGIONS), list(REGIONS.values()))[0]
            base = {"order_id": order_id, "customer_id": f"c{customer:04d}", "region": region}
            open_orders[order_id] = {
                **base,
                "state": "OrderPlaced",
                "total": payload["total_cents"],
            }
        else:
            order_id = rng.choice(list(open_orders))
            order = open_orders[order_id]
            name, payload = _next_step(order["state"], order["total"], rng)
            order["state"] = name.removeprefix(NS)
            if order["state"] in ("OrderShipped", "OrderCancelled"):
                del open_orders[order_id]
            base = {k: order[k] for k in ("order_id", "customer_id", "region")}
        yield (
            order_id,
            {
                "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "event_time": datetime.fromtimestamp(event_ms / 1000, UTC),
                **base,
                "producer": "tide-generator",
                "trace_id": uuid.UUID(int=rng.getrandbits(128)).hex,
                "payload": (name, payload),
            },
        )
