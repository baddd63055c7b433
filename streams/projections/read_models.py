"""The read models of orders: ``order_summary`` per order and ``customer_orders`` per customer.

Both are driven by the order's fold (``streams.orders.aggregate.Fold``): a model changes only
when an event really moved an order to its next version, so a redelivered or early event
changes nothing, and the models are a function of the log whatever the delivery order.
``customer_orders`` is updated by the difference between an order's summary before and after
an event, so it never needs the customer's other orders at hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from streams.orders.aggregate import OrderState, Status

OPEN = {Status.PLACED, Status.PAID}
VALUED = {Status.PLACED, Status.PAID, Status.SHIPPED}  # a cancelled order is worth nothing


def order_summary(state: OrderState) -> dict[str, Any]:
    """The denormalized order, as `GET /orders/{id}` answers it."""
    return {
        "order_id": state.order_id,
        "version": state.version,
        "status": state.status.value,
        "customer_id": state.customer_id,
        "region": state.region,
        "items": [dict(line) for line in state.items],
        "item_count": sum(int(line["quantity"]) for line in state.items),
        "total_cents": state.total_cents,
        "currency": state.currency,
        "cancel_reason": state.reason,
        "placed_at": state.at.get("PLACED"),
        "paid_at": state.at.get("PAID"),
        "shipped_at": state.at.get("SHIPPED"),
        "cancelled_at": state.at.get("CANCELLED"),
    }


@dataclass
class CustomerOrders:
    """One customer's orders at a glance: counts, lifetime value (by currency), last order."""

    customer_id: str
    order_count: int = 0
    lifetime_value_cents: dict[str, int] = field(default_factory=dict)
    last_order_at: str | None = None
    open_orders: set[str] = field(default_factory=set)

    def change(self, before: OrderState, after: OrderState) -> None:
        """Account for one order moving from ``before`` to ``after`` (its next version)."""
        if before.status is Status.NEW:
            self.order_count += 1
            placed = after.at.get("PLACED")
            if placed is not None and (self.last_order_at is None or placed > self.last_order_at):
                self.last_order_at = placed
        worth = self.lifetime_value_cents
        if before.status in VALUED:
            worth[before.currency] = worth.get(before.currency, 0) - before.total_cents
        if after.status in VALUED:
            worth[after.currency] = worth.get(after.currency, 0) + after.total_cents
        if after.status in OPEN:
            self.open_orders.add(after.order_id)
        else:
            self.open_orders.discard(after.order_id)

    def view(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "order_count": self.order_count,
            "lifetime_value_cents": _nonzero(self.lifetime_value_cents),
            "last_order_at": self.last_order_at,
            "open_orders": sorted(self.open_orders),
        }


def merge_customer_views(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One customer's view from the views of the partitions holding their orders (orders are
    keyed by order id, so a customer's orders spread over partitions and their owners)."""
    value: dict[str, int] = {}
    for part in parts:
        for currency, cents in part["lifetime_value_cents"].items():
            value[currency] = value.get(currency, 0) + cents
    lasts = [p["last_order_at"] for p in parts if p["last_order_at"] is not None]
    return {
        "customer_id": parts[0]["customer_id"],
        "order_count": sum(p["order_count"] for p in parts),
        "lifetime_value_cents": _nonzero(value),
        "last_order_at": max(lasts) if lasts else None,
        "open_orders": sorted(o for p in parts for o in p["open_orders"]),
    }


def _nonzero(cents: dict[str, int]) -> dict[str, int]:
    return {currency: v for currency, v in sorted(cents.items()) if v}
