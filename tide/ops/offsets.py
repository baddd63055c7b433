"""The operator tools' clients and what the broker knows about topics (metadata); where the
partitions begin and end is ``producers.partition_bounds``."""

from __future__ import annotations

import uuid
from typing import Any

from confluent_kafka import Consumer, KafkaException
from confluent_kafka.admin import AdminClient

from producers.errors import BrokerUnavailableError
from tide.ops.errors import UnknownTopicError


def reader(bootstrap_servers: str, **extra: Any) -> Consumer:
    """A consumer that is assigned partitions, never joins a group and never commits."""
    config: dict[str, Any] = {
        "bootstrap.servers": bootstrap_servers,
        "group.id": f"tide-inspect-{uuid.uuid4().hex}",  # required by the client; never joined
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "earliest",
        "log_level": 0,
        **extra,
    }
    return Consumer(config)


def admin(bootstrap_servers: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 0})


def cluster_topics(client: AdminClient, bootstrap_servers: str, timeout_s: float) -> Any:
    """The topics' metadata (name → TopicMetadata); one line when no broker answers."""
    try:
        return client.list_topics(timeout=timeout_s).topics
    except KafkaException as e:
        raise BrokerUnavailableError(
            f"Kafka broker not reachable at {bootstrap_servers} "
            "(start one with `tide up`, or set TIDE_KAFKA__BOOTSTRAP_SERVERS)"
        ) from e


def topic_metadata(client: AdminClient, bootstrap_servers: str, topic: str) -> Any:
    """One topic's metadata; UnknownTopicError naming it when the broker does not have it."""
    topics = cluster_topics(client, bootstrap_servers, 10.0)
    found = topics.get(topic)
    if found is None or found.error is not None:
        raise UnknownTopicError(f"topic {topic!r} does not exist on {bootstrap_servers}")
    return found
