"""Frozen producer settings that emit librdkafka's dotted keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ProducerConfig:
    """Durable-by-default delivery: acks=all and idempotence are not optional."""

    bootstrap_servers: str
    linger_ms: int = 5
    batch_size: int = 256 * 1024
    compression: str = "lz4"
    delivery_timeout_ms: int = 30_000

    def librdkafka(self) -> dict[str, Any]:
        return {
            "bootstrap.servers": self.bootstrap_servers,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": self.linger_ms,
            "batch.size": self.batch_size,
            "compression.type": self.compression,
            "delivery.timeout.ms": self.delivery_timeout_ms,
            "log_level": 0,  # connection errors reach error_cb and are logged there, once
        }
