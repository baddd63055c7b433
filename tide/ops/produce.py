"""Generate events of a topic and publish them through the validating producer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from producers.config import ProducerConfig
from producers.errors import UnknownTopicError
from producers.generators.clicks import clicks
from producers.generators.clock import EventClock
from producers.generators.orders import orders
from producers.producer import DeliveryStats, EventProducer
from producers.publish import publish
from producers.registry_client import RegistryClient
from producers.serializer import AvroSerializer
from producers.topics import partitions_of
from schemas.loader import load
from tide.settings import TideSettings

Generator = Callable[[int, EventClock, int | None], Iterator[tuple[str, dict[str, Any]]]]
GENERATORS: dict[str, Generator] = {"clicks": clicks, "orders": orders}


def generate(
    settings: TideSettings,
    topic: str,
    count: int,
    rate: float = 0.0,
    span_s: float | None = None,
    seed: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> DeliveryStats:
    """Publish ``count`` generated events at ``rate`` events/s (0: unlimited); event times
    span the ``span_s`` seconds up to now, or are the wall clock when no span is given."""
    if topic not in GENERATORS:
        raise UnknownTopicError(
            f"no generator for topic {topic!r} (choose {', '.join(GENERATORS)})"
        )
    partitions_of(settings.kafka.bootstrap_servers, topic)
    clock = EventClock.spanning(count, span_s) if span_s is not None else EventClock.realtime()
    contract = load(topic)
    registry = RegistryClient(settings.registry.url)
    try:
        serializer = AvroSerializer(registry, contract.subject, contract.schema_str)
        producer = EventProducer(ProducerConfig(settings.kafka.bootstrap_servers))
        events = GENERATORS[topic](count, clock, seed)
        return publish(events, topic, serializer, producer, rate, progress)
    finally:
        registry.close()
