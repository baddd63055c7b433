"""The order aggregate: its rules, versions, idempotency keys and the log's folding rules."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from producers.generators.clock import EventClock
from producers.generators.orders import orders
from streams.orders.aggregate import (
    NS,
    CommandRefusedError,
    Fold,
    OrderState,
    Status,
    VersionConflictError,
    apply,
    decide,
    upcast,
)

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def event(kind: str, body: dict[str, Any], version: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"e-{kind}-{version}",
        "event_time": T0,
        "order_id": "o-1",
        "customer_id": "c1",
        "region": "eu-west",
        "payload": (NS + kind, body),
        "version": version,
        **extra,
    }


PLACED = {"items": [{"sku": "s", "quantity": 2, "unit_price_cents": 500}], "total_cents": 1000,
          "currency": "USD"}  # fmt: skip
PAID = {"payment_id": "p", "amount_cents": 1000, "method": "CARD"}


def test_a_life_folds_into_its_state_with_a_version_per_event() -> None:
    state = OrderState("o-1")
    for e in (event("OrderPlaced", PLACED), event("OrderPaid", PAID)):
        state = apply(state, e)
    assert (state.version, state.status, state.total_cents, state.currency) == (
        2, Status.PAID, 1000, "USD"
    )  # fmt: skip
    assert set(state.at) == {"PLACED", "PAID"}


def test_an_event_written_before_currency_existed_reads_as_the_default() -> None:
    old = {k: v for k, v in PLACED.items() if k != "currency"}
    assert upcast(event("OrderPlaced", old))[1]["currency"] == "EUR"
    assert apply(OrderState("o-1"), event("OrderPlaced", old)).currency == "EUR"


def test_the_rules_are_named_when_a_command_breaks_them() -> None:
    placed = apply(OrderState("o-1"), event("OrderPlaced", PLACED))
    with pytest.raises(CommandRefusedError, match="OrderShipped needs an order that is PAID"):
        decide(placed, "OrderShipped", None, None)
    paid = apply(placed, event("OrderPaid", PAID))
    with pytest.raises(CommandRefusedError, match="is PAID"):
        decide(paid, "OrderPaid", None, None)  # pay twice
    with pytest.raises(CommandRefusedError, match="OrderPaid needs an order that is PLACED"):
        decide(OrderState("o-2"), "OrderPaid", None, None)  # pay a missing order
    assert decide(paid, "OrderCancelled", None, None) == 3


def test_a_stale_expected_version_conflicts_with_the_current_one() -> None:
    placed = apply(OrderState("o-1"), event("OrderPlaced", PLACED))
    with pytest.raises(VersionConflictError) as refused:
        decide(placed, "OrderPaid", None, expected_version=0)
    assert refused.value.current == 1
    assert decide(placed, "OrderPaid", None, expected_version=1) == 2


def test_a_retried_command_appends_nothing() -> None:
    placed = apply(OrderState("o-1"), event("OrderPlaced", PLACED, command_id="k1"))
    assert placed.commands == {"k1": 1}
    assert decide(placed, "OrderPlaced", "k1", None) is None  # not "already exists"
    with pytest.raises(CommandRefusedError):
        decide(placed, "OrderPlaced", "k2", None)


def test_duplicates_and_early_events_fold_to_the_same_state_as_the_log_in_order() -> None:
    clock = EventClock(start_ms=1_700_000_000_000, spacing_ms=10.0)
    lives: dict[str, list[dict[str, Any]]] = {}
    for key, record in orders(400, clock, seed=7):
        lives.setdefault(key, []).append(record)
    rng = random.Random(3)
    for key, life in lives.items():
        numbered = [{**e, "version": v} for v, e in enumerate(life, start=1)]
        in_order = Fold(OrderState(key))
        for e in numbered:
            in_order.add(e)
        shuffled = numbered + rng.sample(numbered, k=min(2, len(numbered)))  # redeliveries
        rng.shuffle(shuffled)
        messy = Fold(OrderState(key))
        for e in shuffled:
            messy.add(e)
        assert messy.state == in_order.state, key
        assert not messy.waiting
    assert any(len(life) > 2 for life in lives.values())


def test_unversioned_events_take_the_next_version_by_position() -> None:
    fold = Fold(OrderState("o-1"))
    applied = [fold.add(e) for e in (event("OrderPlaced", PLACED), event("OrderPaid", PAID))]
    assert applied == [True, True]
    assert fold.state.version == 2
    assert not fold.add(event("OrderPaid", PAID, version=2))  # a versioned duplicate
    assert fold.duplicates == 1
    assert not fold.waiting


def test_an_unversioned_redelivery_is_told_apart_by_its_event_id() -> None:
    fold = Fold(OrderState("o-1"))
    placed, paid = event("OrderPlaced", PLACED), event("OrderPaid", PAID)
    assert [fold.add(e) for e in (placed, paid, paid, placed)] == [True, True, False, False]
    assert (fold.state.version, fold.duplicates) == (2, 2)
