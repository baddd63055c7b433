"""The topics of the pipeline, created with the configured partitions and replication."""

from __future__ import annotations

from producers.topics import TopicSpec, ensure_topics
from tide.settings import KafkaSettings

PIPELINE_TOPICS = (
    "clicks", "orders", "clicks_per_minute", "clicks.late", "clicks.dlq", "orders.dlq",
)  # fmt: skip


def create_pipeline_topics(kafka: KafkaSettings) -> list[str]:
    specs = [
        TopicSpec(name, kafka.partitions, kafka.replication_factor) for name in PIPELINE_TOPICS
    ]
    ensure_topics(kafka.bootstrap_servers, specs)
    return list(PIPELINE_TOPICS)
