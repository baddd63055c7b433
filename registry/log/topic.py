"""The registry's log topic: one partition (a total order), compacted, created if missing."""

from __future__ import annotations

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from registry.errors import StoreError


def ensure_log_topic(
    bootstrap_servers: str, topic: str, replication_factor: int = 1, timeout_s: float = 15.0
) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 0})
    spec = NewTopic(topic, num_partitions=1, replication_factor=replication_factor,
                    config={"cleanup.policy": "compact"})  # fmt: skip
    future = admin.create_topics([spec], operation_timeout=timeout_s)[topic]
    try:
        future.result(timeout=timeout_s)
    except KafkaException as e:
        error = e.args[0] if e.args else None
        if isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
            return
        raise StoreError(f"cannot create the registry log topic {topic!r}: {e}") from e
    except Exception as e:
        raise StoreError(f"cannot create the registry log topic {topic!r}: {e}") from e
