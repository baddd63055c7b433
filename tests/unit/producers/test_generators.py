"""Generated events match their contracts and tell realistic stories."""

from __future__ import annotations

import random
from collections import defaultdict

import fastavro
import pytest

from producers.generators.clicks import clicks
from producers.generators.clock import EventClock
from producers.generators.orders import orders
from schemas.loader import load

NEXT = {
    None: {"OrderPlaced"},
    "OrderPlaced": {"OrderPaid", "OrderCancelled"},
    "OrderPaid": {"OrderShipped", "OrderCancelled"},
}


@pytest.mark.parametrize(("topic", "generator"), [("clicks", clicks), ("orders", orders)])
def test_events_validate_against_their_schema(topic: str, generator: object) -> None:
    schema = fastavro.parse_schema(load(topic).schema)
    events = list(generator(500, EventClock.spanning(500, 60), seed=1))  # type: ignore[operator]
    assert len(events) == 500
    for _, event in events:
        assert fastavro.validation.validate(event, schema, raise_errors=True)


def test_order_lifecycles_follow_the_state_machine_per_key() -> None:
    state: dict[str, str | None] = defaultdict(lambda: None)
    for key, event in orders(3_000, EventClock.spanning(3_000, 600), seed=2):
        assert key == event["order_id"]
        kind = event["payload"][0].rsplit(".", 1)[-1]
        assert kind in NEXT[state[key]], (state[key], kind)
        state[key] = kind
    assert {"OrderShipped", "OrderCancelled"} <= set(state.values())


def test_clicks_are_keyed_by_user_and_pages_are_skewed() -> None:
    counts: dict[str, int] = defaultdict(int)
    for key, event in clicks(5_000, EventClock.spanning(5_000, 600), seed=3):
        assert key == event["user_id"]
        counts[event["page"]] += 1
    assert max(counts, key=lambda page: counts[page]) == "/"
    assert counts["/"] > 5 * counts["/product/40"]


def test_clock_spacing_and_late_share() -> None:
    clock = EventClock(start_ms=1_000_000, spacing_ms=10.0, late_share=0.25, max_delay_ms=5_000)
    rng = random.Random(4)
    times = [clock.at(i, rng) for i in range(4_000)]
    late = sum(1 for i, t in enumerate(times) if t < 1_000_000 + i * 10)
    assert 0.2 < late / len(times) < 0.3
    assert all(1_000_000 + i * 10 - 5_000 <= t <= 1_000_000 + i * 10 for i, t in enumerate(times))
