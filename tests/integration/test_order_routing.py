"""Tide computes an order's partition exactly where its producers put it, on both brokers."""

from __future__ import annotations

import uuid
from typing import Any

from confluent_kafka import Message, Producer

from producers.config import ProducerConfig
from producers.topics import TopicSpec, ensure_topics
from streams.orders.routing import partition_for


def test_every_key_lands_in_the_partition_computed_for_it(data_broker: Any) -> None:
    bootstrap = data_broker.bootstrap_servers
    topic = f"routing-{uuid.uuid4().hex[:8]}"
    partitions = 7
    ensure_topics(bootstrap, [TopicSpec(topic, partitions)])
    producer = Producer(ProducerConfig(bootstrap_servers=bootstrap).librdkafka())
    placed: dict[str, int] = {}

    def delivered(err: Any, msg: Message) -> None:
        assert err is None, err
        placed[(msg.key() or b"").decode()] = msg.partition() or 0

    keys = [f"o-{uuid.uuid4().hex[:12]}" for _ in range(300)]
    for key in keys:
        producer.produce(topic, b"x", key.encode(), on_delivery=delivered)
    assert producer.flush(30) == 0
    assert placed == {key: partition_for(key, partitions) for key in keys}
    assert len(set(placed.values())) == partitions  # the keys really spread
