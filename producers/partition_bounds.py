"""Where partitions begin and end, the end confirmed by reading.

The broker's answer (ListOffsets) is taken as a hint; the partition is then read from just
before it to its end-of-partition event, and that event's offset is the end. On Apache Kafka the
two agree; the embedded broker (Tansu) answers with the base offset of the partition's last
batch plus one, so its answer alone under-counts (50 records in one batch: "1").
"""

from __future__ import annotations

import time
import uuid

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from producers.errors import BrokerUnavailableError

Key = tuple[str, int]  # (topic, partition)


def bounds(
    bootstrap_servers: str, keys: list[Key], timeout_s: float = 10.0
) -> dict[Key, tuple[int, int]]:
    """(low, high) watermark of each partition, the high one confirmed by a read to its end."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"tide-bounds-{uuid.uuid4().hex}",  # required by the client; never joined
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "log_level": 0,
        }
    )
    try:
        marks = {key: _asked(consumer, key, timeout_s) for key in keys}
        ends = _read_ends(consumer, marks, timeout_s)
    finally:
        consumer.close()
    return {key: (low, max(high, ends.get(key, high))) for key, (low, high) in marks.items()}


def _asked(consumer: Consumer, key: Key, timeout_s: float) -> tuple[int, int]:
    try:
        found = consumer.get_watermark_offsets(TopicPartition(*key), timeout=timeout_s)
    except KafkaException as e:
        raise BrokerUnavailableError(f"no watermarks for {key[0]}[{key[1]}]: {e.args[0]}") from e
    if found is None:
        raise BrokerUnavailableError(f"no watermarks for {key[0]}[{key[1]}] within {timeout_s} s")
    low, high = found
    return int(low), int(high)


def _read_ends(
    consumer: Consumer, marks: dict[Key, tuple[int, int]], timeout_s: float
) -> dict[Key, int]:
    """The end-of-partition offsets, read from one record before each reported end."""
    pending = {key for key, (low, high) in marks.items() if high > low}
    if not pending:
        return {}
    consumer.assign([TopicPartition(t, p, max(marks[(t, p)][0], marks[(t, p)][1] - 1))
                     for t, p in pending])  # fmt: skip
    ends: dict[Key, int] = {}
    deadline = time.monotonic() + timeout_s
    while pending and time.monotonic() < deadline:
        for message in consumer.consume(1000, 0.2):
            error = message.error()
            if error is not None and error.code() == KafkaError._PARTITION_EOF:
                key = (str(message.topic()), int(message.partition() or 0))
                ends[key] = int(message.offset() or 0)
                pending.discard(key)
    return ends  # a partition not read to its end in time keeps the broker's answer
