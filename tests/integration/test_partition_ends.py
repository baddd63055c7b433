"""The broker's word on where a partition ends, which keeps a stalled fetch from looking idle:
on both brokers, a reader at the end is confirmed there, and a reader with records still waiting
on the leader is not — whatever its own end-of-partition event last said."""

from __future__ import annotations

import time
import uuid
from typing import Any

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

from producers import partition_bounds
from producers.partition_bounds import bounds
from producers.topics import TopicSpec, ensure_topics
from streams.runner.ends import EndWatch
from streams.windows.watermarks import confirmed_at_end


def produce(bootstrap_servers: str, topic: str, batches: list[int]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap_servers, "log_level": 0})
    for size in batches:
        for i in range(size):
            producer.produce(topic, str(i).encode(), partition=0)
        assert producer.flush(10) == 0


def read_to_end(bootstrap_servers: str, topic: str) -> int:
    """The position of a reader that read partition 0 to its end (its end-of-partition event)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": uuid.uuid4().hex,
            "enable.partition.eof": True,
            "log_level": 0,
        }
    )
    consumer.assign([TopicPartition(topic, 0, 0)])
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            for m in consumer.consume(1000, 0.5):
                error = m.error()
                if error is not None and error.code() == KafkaError._PARTITION_EOF:
                    return m.offset() or 0
        raise AssertionError(f"{topic} not read to its end in 20 s")
    finally:
        consumer.close()


def test_a_reader_is_at_the_end_only_while_no_record_waits_on_the_leader(
    data_broker: Any,
) -> None:
    bootstrap = data_broker.bootstrap_servers
    topic = f"ends_{uuid.uuid4().hex[:8]}"
    ensure_topics(bootstrap, [TopicSpec(topic, 2)])
    produce(bootstrap, topic, [3, 10, 7])
    position = read_to_end(bootstrap, topic)
    assert position == 20
    watch = EndWatch(bootstrap, topic, every_s=1.0)
    try:
        watch.watch([0, 1])
        asked = time.monotonic()
        watch.refresh()
        assert confirmed_at_end(watch.end(0, asked), position)
        assert watch.end(1, asked) == 0  # an empty partition ends where it begins
        produce(bootstrap, topic, [5])  # on the leader; the reader has not fetched it
        asked = time.monotonic()
        assert not confirmed_at_end(watch.end(0, asked), position)  # an old answer is no word
        watch.refresh()
        assert not confirmed_at_end(watch.end(0, asked), position)
        assert confirmed_at_end(watch.end(0, asked), read_to_end(bootstrap, topic))
    finally:
        watch.close()


def test_no_answer_from_the_broker_is_no_confirmation() -> None:
    topic = f"ends_{uuid.uuid4().hex[:8]}"
    watch = EndWatch("127.0.0.1:9", topic, every_s=0.5)  # nothing listens there
    try:
        watch.watch([0])
        asked = time.monotonic()
        watch.refresh()
        assert watch.end(0, asked) is None
        assert not confirmed_at_end(watch.end(0, asked), 0)
    finally:
        watch.close()


def test_bounds_read_again_only_a_partition_that_changed(data_broker: Any) -> None:
    """``bounds`` keeps the end it read while the broker's answer stays the same: the second
    call reads nothing, and a partition that was written to since is read to its new end."""
    bootstrap = data_broker.bootstrap_servers
    topic = f"bounds_{uuid.uuid4().hex[:8]}"
    ensure_topics(bootstrap, [TopicSpec(topic, 2)])
    produce(bootstrap, topic, [3, 10, 7])  # partition 0 only, in three batches
    keys = [(topic, 0), (topic, 1)]
    assert bounds(bootstrap, keys) == {(topic, 0): (0, 20), (topic, 1): (0, 0)}
    read = partition_bounds._read_ends
    reads: list[set[tuple[str, int]]] = []

    def counted(consumer: Any, marks: Any, timeout_s: float) -> dict[tuple[str, int], int]:
        reads.append(set(marks))
        return read(consumer, marks, timeout_s)

    partition_bounds._read_ends = counted
    try:
        assert bounds(bootstrap, keys) == {(topic, 0): (0, 20), (topic, 1): (0, 0)}
        assert reads == []  # nothing changed: the end read before holds, nothing is read
        produce(bootstrap, topic, [5])
        assert bounds(bootstrap, keys) == {(topic, 0): (0, 25), (topic, 1): (0, 0)}
    finally:
        partition_bounds._read_ends = read
    assert reads == [{(topic, 0)}]  # only the partition written to
