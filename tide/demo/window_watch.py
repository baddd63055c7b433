"""Follow a window job's output topic from the start: the final records, once each."""

from __future__ import annotations

from typing import Any

from confluent_kafka import Consumer, TopicPartition

from producers.deserializer import AvroDeserializer
from producers.topics import partitions_of


class WindowWatch:
    """Reads ``topic`` from offset 0 of every partition, without joining a consumer group.

    A final record re-emitted after a worker's recovery has the same key and bytes as the first:
    it is counted once.
    """

    def __init__(self, bootstrap_servers: str, topic: str, decoder: AvroDeserializer) -> None:
        self._decoder = decoder
        self._consumer = Consumer(
            {"bootstrap.servers": bootstrap_servers, "group.id": "tide-demo-watch", "log_level": 3}
        )
        parts = partitions_of(bootstrap_servers, topic)
        self._consumer.assign([TopicPartition(topic, p, 0) for p in parts])
        self.finals: dict[bytes, dict[str, Any]] = {}

    def poll(self, timeout_s: float = 0.5) -> list[dict[str, Any]]:
        """The final records that arrived since the last poll (each key once)."""
        fresh = []
        for message in self._consumer.consume(num_messages=1000, timeout=timeout_s):
            if message.error() is not None:
                continue
            key = message.key() or b""
            record = self._decoder.decode(message.value() or b"")
            if record["emit"] == "FINAL" and key not in self.finals:
                self.finals[key] = record
                fresh.append(record)
        return fresh

    def total(self, field: str) -> int:
        return sum(r[field] or 0 for r in self.finals.values())

    def close(self) -> None:
        self._consumer.close()
