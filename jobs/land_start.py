"""Where a backfill starts (``land --from-offset N`` or ``--from-time T`` into a new table):
one offset per partition, checked against what the topic holds.

A time resolves to the first record at or after it in each partition (the end, if none).
Brokers answer a time with an offset (ListOffsets); the embedded one answers the start of the
batch holding it, so the answer is confirmed by reading forward to the first record that is
not earlier.
"""

from __future__ import annotations

import uuid

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from jobs.errors import JobError, OffsetGapError
from producers.partition_bounds import bounds

_TIMEOUT_S = 10.0


def start_offsets(
    bootstrap_servers: str,
    topic: str,
    partitions: list[int],
    *,
    offset: int | None = None,
    time_ms: int | None = None,
) -> dict[int, int]:
    """The offset each partition of ``topic`` is landed from."""
    marks = bounds(bootstrap_servers, [(topic, p) for p in partitions])
    ranges = {p: marks[(topic, p)] for p in partitions}
    if offset is not None:
        for p, (low, high) in sorted(ranges.items()):
            if not low <= offset <= high:
                raise OffsetGapError(
                    f"--from-offset {offset}: {topic}[{p}] holds offsets {low}..{high} (retention "
                    f"deleted what came before {low}); give an offset in every partition's range "
                    "or use --from-time"
                )
        return dict.fromkeys(partitions, offset)
    if time_ms is None:
        raise JobError("a backfill needs --from-offset or --from-time")
    return _at_time(bootstrap_servers, topic, ranges, time_ms)


def _at_time(
    bootstrap_servers: str, topic: str, ranges: dict[int, tuple[int, int]], time_ms: int
) -> dict[int, int]:
    consumer = Consumer(
        {"bootstrap.servers": bootstrap_servers, "group.id": f"tide-backfill-{uuid.uuid4().hex}",
         "enable.auto.commit": False, "enable.partition.eof": True, "log_level": 0}
    )  # fmt: skip
    try:
        asked = [TopicPartition(topic, p, time_ms) for p in sorted(ranges)]
        try:
            found = consumer.offsets_for_times(asked, _TIMEOUT_S)
        except KafkaException as e:
            raise JobError(f"offsets of {topic} at --from-time not found: {e.args[0]}") from e
        start = {tp.partition: tp.offset if tp.offset >= 0 else ranges[tp.partition][1]
                 for tp in found}  # fmt: skip
        return _confirmed(consumer, topic, start, ranges, time_ms)
    finally:
        consumer.close()


def _confirmed(
    consumer: Consumer,
    topic: str,
    start: dict[int, int],
    ranges: dict[int, tuple[int, int]],
    time_ms: int,
) -> dict[int, int]:
    """Each partition's first offset from ``start`` on whose record is not before ``time_ms``."""
    pending = {p for p, o in start.items() if o < ranges[p][1]}  # at the end: nothing to check
    exact = dict(start)
    consumer.assign([TopicPartition(topic, p, start[p]) for p in sorted(pending)])
    while pending:
        for message in consumer.consume(500, _TIMEOUT_S):
            p = message.partition() or 0
            if p not in pending:
                continue
            error = message.error()
            if error is not None:
                if error.code() != KafkaError._PARTITION_EOF:
                    raise JobError(f"reading {topic}[{p}] for --from-time failed: {error.str()}")
                exact[p] = ranges[p][1]  # nothing at or after the time: from the end
                pending.discard(p)
                continue
            kind, stamp = message.timestamp()
            if kind == 0 or stamp >= time_ms:  # 0: no timestamp; the broker's answer stands
                exact[p] = message.offset() or 0
                pending.discard(p)
    return exact
