"""Create and inspect topics (the admin side of the broker)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from producers.errors import BrokerUnavailableError, UnknownTopicError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int = 1
    compacted: bool = False


_PER_REQUEST = 6


def ensure_topics(bootstrap_servers: str, specs: list[TopicSpec], timeout_s: float = 10.0) -> None:
    """Create the topics that do not exist yet; existing ones are left as they are."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 0})
    existing = cluster_metadata(admin, bootstrap_servers, timeout_s)
    new = [
        NewTopic(
            s.name,
            s.partitions,
            s.replication_factor,
            config={"cleanup.policy": "compact"} if s.compacted else {},
        )
        for s in specs
        if s.name not in existing
    ]
    # a few per request: the embedded broker fails to answer a CreateTopics of many (~20)
    for chunk in (new[i : i + _PER_REQUEST] for i in range(0, len(new), _PER_REQUEST)):
        for name, future in admin.create_topics(chunk, operation_timeout=timeout_s).items():
            try:
                future.result()
            except KafkaException as e:
                if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise
            log.info("topic created", extra={"topic": name})


def cluster_metadata(
    admin: AdminClient, bootstrap_servers: str, timeout_s: float = 10.0
) -> dict[str, Any]:
    """Every topic's metadata (name → TopicMetadata); one line when no broker answers."""
    try:
        topics: dict[str, Any] = admin.list_topics(timeout=timeout_s).topics
    except KafkaException as e:
        raise BrokerUnavailableError(
            f"Kafka broker not reachable at {bootstrap_servers} "
            "(start one with `tide up`, or set TIDE_KAFKA__BOOTSTRAP_SERVERS)"
        ) from e
    return topics


def topic_metadata(
    admin: AdminClient, bootstrap_servers: str, topic: str, timeout_s: float = 10.0
) -> Any:
    """One topic's metadata; UnknownTopicError naming it (and the topics there are)."""
    metadata = cluster_metadata(admin, bootstrap_servers, timeout_s)
    if topic not in metadata or metadata[topic].error is not None:
        known = ", ".join(sorted(t for t in metadata if not t.startswith("_"))) or "none"
        raise UnknownTopicError(
            f"topic {topic!r} does not exist on {bootstrap_servers} (topics: {known})"
        )
    return metadata[topic]


def partitions_of(bootstrap_servers: str, topic: str, timeout_s: float = 10.0) -> list[int]:
    """Partition ids of ``topic``; UnknownTopicError when the broker does not have it."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 0})
    return sorted(topic_metadata(admin, bootstrap_servers, topic, timeout_s).partitions)
