"""Consumer groups and how far behind their committed offsets are from the partitions' ends."""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException

from producers.partition_bounds import bounds
from producers.topics import cluster_metadata
from tide.ops.errors import BrokerQueryError, UnknownGroupError
from tide.ops.offsets import admin


@dataclass(frozen=True)
class GroupInfo:
    group: str
    state: str


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int | None  # None: the group committed nothing for this partition
    end: int

    @property
    def lag(self) -> int | None:
        return None if self.committed is None else max(self.end - self.committed, 0)


def list_groups(bootstrap_servers: str) -> list[GroupInfo]:
    """Every consumer group the broker knows (one that committed offsets or has members)."""
    client = admin(bootstrap_servers)  # kept alive until the answer: a freed one answers nothing
    cluster_metadata(client, bootstrap_servers, 10.0)  # a broker that is down is said so
    try:
        found = client.list_consumer_groups(request_timeout=10).result()
    except KafkaException as e:
        raise BrokerQueryError(f"consumer groups not listed by {bootstrap_servers}: {e}") from e
    if found.errors and not found.valid:
        raise BrokerQueryError(
            f"consumer groups not listed by {bootstrap_servers}: {found.errors[0]}"
        )
    groups = [GroupInfo(str(g.group_id), g.state.name.lower()) for g in found.valid]
    return sorted(groups, key=lambda g: g.group)


def group_lag(bootstrap_servers: str, group: str) -> list[PartitionLag]:
    """Per partition the group committed: committed offset, end offset, lag."""
    known = [g.group for g in list_groups(bootstrap_servers)]
    if group not in known:
        raise UnknownGroupError(
            f"consumer group {group!r} does not exist on {bootstrap_servers} "
            f"(groups: {', '.join(known) or 'none'})"
        )
    return committed_lag(bootstrap_servers, group)


def committed_lag(bootstrap_servers: str, group: str) -> list[PartitionLag]:
    """``group_lag`` of a group known to exist (from ``list_groups``): no listing again."""
    request = [ConsumerGroupTopicPartitions(group)]
    client = admin(bootstrap_servers)
    try:
        answer = client.list_consumer_group_offsets(request)[group].result()
    except KafkaException as e:
        raise BrokerQueryError(f"offsets of group {group!r} not listed: {e}") from e
    committed = {(str(tp.topic), int(tp.partition)): int(tp.offset)
                 for tp in answer.topic_partitions}  # fmt: skip
    marks = bounds(bootstrap_servers, sorted(committed))
    return [
        PartitionLag(
            topic, partition, offset if offset >= 0 else None, marks[(topic, partition)][1]
        )
        for (topic, partition), offset in sorted(committed.items())
    ]
