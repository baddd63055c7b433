"""Where partitions begin and end, the end confirmed by reading.

The broker's answer (ListOffsets) is taken as a hint; the partition is then read from just
before it to its end-of-partition event, and that event's offset is the end. On Apache Kafka the
two agree; the embedded broker (Tansu) answers with the base offset of the partition's last
batch plus one, so its answer alone under-counts (50 records in one batch: "1").
"""

from __future__ import annotations

import threading
import time
import uuid

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import OffsetSpec

from producers.admin_clients import shared_admin
from producers.errors import BrokerUnavailableError

Key = tuple[str, int]  # (topic, partition)


def bounds(
    bootstrap_servers: str, keys: list[Key], timeout_s: float = 10.0
) -> dict[Key, tuple[int, int]]:
    """(low, high) watermark of each partition, the high one confirmed by a read to its end."""
    marks = _asked(bootstrap_servers, keys, timeout_s)
    known = _confirmed(bootstrap_servers, marks)
    unread = {k: (lo, hi) for k, (lo, hi) in marks.items() if k not in known and hi > lo}
    ends = {**known, **(_read(bootstrap_servers, unread, timeout_s) if unread else {})}
    _remember(bootstrap_servers, marks, ends)
    return {key: (low, max(high, ends.get(key, high))) for key, (low, high) in marks.items()}


# The end read for a partition, by the broker's answer it was read after: batches are never
# changed once written, so while the broker answers the same, the end read still holds and a
# long-running caller (the console, every few seconds) reads only partitions that changed.
_ENDS: dict[tuple[str, Key], tuple[int, int]] = {}  # (servers, key) -> (answered high, end)
_ENDS_LOCK = threading.Lock()


def _confirmed(bootstrap_servers: str, marks: dict[Key, tuple[int, int]]) -> dict[Key, int]:
    with _ENDS_LOCK:
        found = {key: _ENDS.get((bootstrap_servers, key)) for key in marks}
    return {key: e[1] for key, e in found.items() if e is not None and e[0] == marks[key][1]}


def _remember(
    bootstrap_servers: str, marks: dict[Key, tuple[int, int]], ends: dict[Key, int]
) -> None:
    with _ENDS_LOCK:
        for key, end in ends.items():
            _ENDS[(bootstrap_servers, key)] = (marks[key][1], end)


def _asked(bootstrap_servers: str, keys: list[Key], timeout_s: float) -> dict[Key, tuple[int, int]]:
    """The broker's (low, high) of every partition: two batched ListOffsets requests (earliest,
    latest) per leader, not two round trips per partition."""
    if not keys:
        return {}
    client = shared_admin(bootstrap_servers)
    tps = {key: TopicPartition(*key) for key in keys}
    asked = [
        client.list_offsets(dict.fromkeys(tps.values(), spec), request_timeout=timeout_s)
        for spec in (OffsetSpec.earliest(), OffsetSpec.latest())
    ]
    marks = {}
    for key, tp in tps.items():
        try:
            low, high = (int(futures[tp].result(timeout_s).offset) for futures in asked)
        except KafkaException as e:
            raise BrokerUnavailableError(
                f"no watermarks for {key[0]}[{key[1]}]: {e.args[0]}"
            ) from e
        except TimeoutError as e:  # not answered in time
            raise BrokerUnavailableError(
                f"no watermarks for {key[0]}[{key[1]}] within {timeout_s} s"
            ) from e
        marks[key] = (low, high)
    return marks


def _read(
    bootstrap_servers: str, marks: dict[Key, tuple[int, int]], timeout_s: float
) -> dict[Key, int]:
    """``_read_ends`` with a consumer of its own (made only when there is something to read)."""
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
        return _read_ends(consumer, marks, timeout_s)
    finally:
        consumer.close()


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
        for message in consumer.consume(1000, 0.05):
            error = message.error()
            if error is not None and error.code() == KafkaError._PARTITION_EOF:
                key = (str(message.topic()), int(message.partition() or 0))
                ends[key] = int(message.offset() or 0)
                pending.discard(key)
    return ends  # a partition not read to its end in time keeps the broker's answer
