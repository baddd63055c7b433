"""Topics as an operator sees them: partitions, replicas, in-sync replicas, offsets, configs."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType

from producers.partition_bounds import bounds
from producers.topics import cluster_metadata, topic_metadata
from tide.ops.offsets import admin

log = logging.getLogger(__name__)

CONFIGS = ("cleanup.policy", "retention.ms")  # the ones that decide what a reader can still see
INTERNAL_PREFIXES = ("__", "_tide_")


@dataclass(frozen=True)
class PartitionInfo:
    partition: int
    leader: int
    replicas: list[int]
    isr: list[int]
    low: int
    high: int

    @property
    def messages(self) -> int:
        return self.high - self.low


@dataclass(frozen=True)
class TopicSummary:
    name: str
    partitions: int
    replication: int
    end_offsets: int  # sum of the partitions' high watermarks


@dataclass(frozen=True)
class TopicDetail:
    name: str
    partitions: list[PartitionInfo]
    configs: dict[str, str | None]


def is_internal(name: str) -> bool:
    return name.startswith(INTERNAL_PREFIXES)


def list_topics(bootstrap_servers: str, include_internal: bool = False) -> list[TopicSummary]:
    """Every topic (internal ones only when asked), sorted by name, with its total end offset."""
    topics = cluster_metadata(admin(bootstrap_servers), bootstrap_servers, 10.0)
    shown = sorted(
        (meta for name, meta in topics.items() if include_internal or not is_internal(name)),
        key=lambda meta: str(meta.topic),
    )
    keys = [(str(m.topic), int(p)) for m in shown for p in m.partitions]
    marks = bounds(bootstrap_servers, keys)
    return [
        TopicSummary(
            name=str(m.topic),
            partitions=len(m.partitions),
            replication=max((len(p.replicas) for p in m.partitions.values()), default=0),
            end_offsets=sum(marks[(str(m.topic), int(p))][1] for p in m.partitions),
        )
        for m in shown
    ]


def describe_topic(bootstrap_servers: str, topic: str) -> TopicDetail:
    """Per partition: leader, replicas, ISR and watermarks; and the topic's retention configs."""
    client = admin(bootstrap_servers)
    meta = topic_metadata(client, bootstrap_servers, topic)
    marks = bounds(bootstrap_servers, [(topic, int(p)) for p in meta.partitions])
    partitions = [_partition(p, marks[(topic, int(p.id))]) for p in meta.partitions.values()]
    return TopicDetail(
        name=topic,
        partitions=sorted(partitions, key=lambda info: info.partition),
        configs=_configs(client, topic),
    )


def _partition(meta: Any, mark: tuple[int, int]) -> PartitionInfo:
    return PartitionInfo(
        partition=int(meta.id),
        leader=int(meta.leader),
        replicas=[int(r) for r in meta.replicas],
        isr=[int(r) for r in meta.isrs],
        low=mark[0],
        high=mark[1],
    )


def _configs(client: AdminClient, topic: str) -> dict[str, str | None]:
    """The configs in CONFIGS; None for one the broker does not report (Tansu reports none)."""
    resource = ConfigResource(ResourceType.TOPIC, topic)
    try:
        entries = client.describe_configs([resource])[resource].result(timeout=10)
    except KafkaException as e:
        log.warning("topic configs unavailable", extra={"topic": topic, "error": str(e)})
        entries = {}
    return {name: (entries[name].value if name in entries else None) for name in CONFIGS}
