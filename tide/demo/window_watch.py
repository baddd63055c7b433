"""Follow the window results topic from the start and tally what arrives."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from producers.deserializer import AvroDeserializer
from producers.topics import partitions_of


@dataclass
class WindowTally:
    """Clicks counted per (window start, page) over every result seen so far."""

    total: int = 0
    results: int = 0
    per_window: dict[Any, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )


class WindowWatch:
    """Reads ``topic`` from offset 0 of every partition, without joining a consumer group."""

    def __init__(self, bootstrap_servers: str, topic: str, decoder: AvroDeserializer) -> None:
        self._decoder = decoder
        self._consumer = Consumer(
            {"bootstrap.servers": bootstrap_servers, "group.id": "tide-demo-watch", "log_level": 3}
        )
        parts = partitions_of(bootstrap_servers, topic)
        self._consumer.assign([TopicPartition(topic, p, 0) for p in parts])
        self.tally = WindowTally()

    def poll(self, timeout_s: float = 0.5) -> list[dict[str, Any]]:
        """The results that arrived since the last poll (tallied)."""
        results = []
        for message in self._consumer.consume(num_messages=1000, timeout=timeout_s):
            if message.error() is not None:
                continue
            result = self._decoder.decode(message.value() or b"")
            self.tally.total += result["clicks"]
            self.tally.results += 1
            self.tally.per_window[result["window_start"]][result["page"]] += result["clicks"]
            results.append(result)
        return results

    def close(self) -> None:
        self._consumer.close()
