"""The topics of the pipeline, created with the configured partitions and replication."""

from __future__ import annotations

from producers.topics import TopicSpec, ensure_topics
from streams.jobs.base import Timing
from streams.jobs.shipped import shipped_jobs
from streams.runner.clients import job_topics
from tide.settings import KafkaSettings

# the sources and their dead-letter topics; a stream worker creates its jobs' own topics
PIPELINE_TOPICS = ("clicks", "orders", "clicks.dlq", "orders.dlq")


def create_pipeline_topics(kafka: KafkaSettings) -> list[str]:
    """The sources, their dead-letter topics and every shipped window job's topics."""
    specs = [
        TopicSpec(name, kafka.partitions, kafka.replication_factor) for name in PIPELINE_TOPICS
    ]
    for job in shipped_jobs(Timing(60_000)).values():  # topic names do not depend on timing
        specs += job_topics(job, kafka.partitions, kafka.replication_factor, kafka.partitions)
    ensure_topics(kafka.bootstrap_servers, specs)
    return [s.name for s in specs]
