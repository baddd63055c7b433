"""Read models kept incrementally, across partitions and messy delivery, equal a fresh fold."""

from __future__ import annotations

import random
from typing import Any

from producers.generators.clock import EventClock
from producers.generators.orders import orders
from streams.orders.aggregate import Fold, OrderState
from streams.orders.routing import partition_for
from streams.projections.read_models import (
    OPEN,
    VALUED,
    CustomerOrders,
    merge_customer_views,
    order_summary,
)

PARTITIONS = 4


def lives(count: int, seed: int) -> dict[str, list[dict[str, Any]]]:
    clock = EventClock(start_ms=1_700_000_000_000, spacing_ms=10.0)
    out: dict[str, list[dict[str, Any]]] = {}
    for key, record in orders(count, clock, seed=seed, customers=30):
        life = out.setdefault(key, [])
        life.append({**record, "version": len(life) + 1})
    return out


def incremental(events: list[dict[str, Any]]) -> tuple[dict[str, Fold], dict[str, CustomerOrders]]:
    """One partition's models, fed ``events`` one by one as a projection worker would."""
    folds: dict[str, Fold] = {}
    customers: dict[str, CustomerOrders] = {}
    for e in events:
        fold = folds.setdefault(e["order_id"], Fold(OrderState(e["order_id"])))
        before = fold.state
        if not fold.add(e):
            continue
        # an early event may have let several versions through: account for the whole step
        who = fold.state.customer_id or e["customer_id"]
        customers.setdefault(who, CustomerOrders(who)).change(before, fold.state)
    return folds, customers


def test_incremental_models_over_partitions_equal_a_from_scratch_fold() -> None:
    rng = random.Random(11)
    all_lives = lives(3000, seed=5)
    by_partition: dict[int, list[dict[str, Any]]] = {}
    for key, life in all_lives.items():
        by_partition.setdefault(partition_for(key, PARTITIONS), []).extend(life)
    views: dict[str, list[dict[str, Any]]] = {}
    summaries: dict[str, dict[str, Any]] = {}
    for events in by_partition.values():
        messy = events + rng.sample(events, k=len(events) // 10)  # redeliveries
        rng.shuffle(messy)  # and out of order
        folds, customers = incremental(messy)
        summaries |= {k: order_summary(f.state) for k, f in folds.items()}
        for who, c in customers.items():
            views.setdefault(who, []).append(c.view())
    merged = {who: merge_customer_views(parts) for who, parts in views.items()}

    finals = {}
    for key, life in all_lives.items():
        fold = Fold(OrderState(key))
        for e in life:
            fold.add(e)
        finals[key] = fold.state
    assert summaries == {k: order_summary(s) for k, s in finals.items()}
    for who, view in merged.items():
        mine = [s for s in finals.values() if s.customer_id == who]
        value: dict[str, int] = {}
        for s in mine:
            if s.status in VALUED:
                value[s.currency] = value.get(s.currency, 0) + s.total_cents
        assert view == {
            "customer_id": who,
            "order_count": len(mine),
            "lifetime_value_cents": {c: v for c, v in sorted(value.items()) if v},
            "last_order_at": max(s.at["PLACED"] for s in mine),
            "open_orders": sorted(s.order_id for s in mine if s.status in OPEN),
        }
    assert len(merged) == len({s.customer_id for s in finals.values()})
    assert any(len(parts) > 1 for parts in views.values())  # customers do span partitions


def test_a_summary_counts_items_and_keeps_every_transition_time() -> None:
    life = next(life for life in lives(200, seed=2).values() if len(life) == 3)
    fold = Fold(OrderState(life[0]["order_id"]))
    for e in life:
        fold.add(e)
    summary = order_summary(fold.state)
    placed = life[0]["payload"][1]
    assert summary["item_count"] == sum(line["quantity"] for line in placed["items"])
    assert summary["version"] == 3
    assert summary["placed_at"] is not None
    assert summary["paid_at"] is not None or summary["cancelled_at"] is not None
