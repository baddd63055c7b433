"""Publish a stream of (key, event) pairs: validate, encode, produce, at a target rate."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from producers.producer import DeliveryStats, EventProducer
from producers.serializer import AvroSerializer

Progress = Callable[[int], None]


def publish(
    events: Iterable[tuple[str, dict[str, Any]]],
    topic: str,
    serializer: AvroSerializer,
    producer: EventProducer,
    rate: float = 0.0,
    progress: Progress | None = None,
) -> DeliveryStats:
    """Send every event (``rate`` events/s, 0 = as fast as possible); flush; return delivery stats.

    An invalid event raises SchemaValidationError before anything of it is sent; events accepted
    before it are still flushed, so nothing already accepted is lost.
    """
    started = time.monotonic()
    sent = 0
    try:
        for key, event in events:
            producer.produce(topic, key, serializer.encode(event))
            sent += 1
            if progress is not None and sent % 500 == 0:
                progress(500)
            if rate > 0:
                ahead = sent / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)  # rate limiting, not synchronization
    finally:
        stats = producer.flush()
        if progress is not None:
            progress(sent % 500)
    return stats
