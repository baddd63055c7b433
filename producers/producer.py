"""Publish encoded events with acks=all and idempotence, tracking every delivery report."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from confluent_kafka import KafkaError, Message, Producer

from producers.config import ProducerConfig
from producers.errors import DeliveryError

log = logging.getLogger(__name__)


@dataclass
class DeliveryStats:
    delivered: int = 0
    failed: int = 0
    last_error: str | None = None
    per_partition: dict[int, int] = field(default_factory=dict)


class EventProducer:
    """A keyed, durable producer; ``flush()`` raises if any event was not acknowledged."""

    def __init__(self, config: ProducerConfig) -> None:
        self._producer = Producer(config.librdkafka())
        self.stats = DeliveryStats()

    def produce(self, topic: str, key: str, value: bytes) -> None:
        while True:
            try:
                self._producer.produce(topic, value, key.encode(), on_delivery=self._on_delivery)
                break
            except BufferError:
                self._producer.poll(0.1)  # local queue full: serve delivery reports, then retry
        self._producer.poll(0)

    def flush(self, timeout_s: float = 30.0) -> DeliveryStats:
        remaining = self._producer.flush(timeout_s)
        if remaining:
            raise DeliveryError(f"{remaining} events not acknowledged after {timeout_s:.0f}s")
        if self.stats.failed:
            raise DeliveryError(
                f"{self.stats.failed} events failed delivery; last error: {self.stats.last_error}"
            )
        return self.stats

    def _on_delivery(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self.stats.failed += 1
            self.stats.last_error = str(error)
            log.warning("delivery failed", extra={"topic": message.topic(), "error": str(error)})
            return
        self.stats.delivered += 1
        partition = message.partition() or 0
        self.stats.per_partition[partition] = self.stats.per_partition.get(partition, 0) + 1
