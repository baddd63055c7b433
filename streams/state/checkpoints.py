"""Checkpoints in a compacted topic: a partition's state and the source offset it covers, together.

Partition ``p`` of the checkpoint topic holds the checkpoints of source partition ``p`` (key
``partition:p``); the last partition holds the merge stage's (key ``merge``). A checkpoint is one
message, so state and offsets are durable together or not at all; the new owner of a partition
reads the newest one and seeks the source to the offset inside it, never trusting the group's
committed offsets. To avoid reading a long history where the broker does not compact (the
embedded one does not), the offset of the newest acknowledged checkpoint is committed in the
job's group as the "position" of that checkpoint partition: reading starts there and goes on to
the end, so a checkpoint written after that commit is still found.
"""

from __future__ import annotations

import logging
import time
import uuid

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    Message,
    Producer,
    TopicPartition,
)

from streams.errors import CheckpointError

log = logging.getLogger(__name__)


def partition_key(partition: int) -> bytes:
    return f"partition:{partition}".encode()


MERGE_KEY = b"merge"


def checkpoint_partitions(
    store: CheckpointStore, producer: Producer, consumer: Consumer, dumps: dict[int, bytes]
) -> bool:
    """Write one checkpoint per partition of ``dumps`` (keyed by ``partition_key``), wait for
    the broker's acknowledgement, then commit where they are as the group's hints (best
    effort). False when a checkpoint was not acknowledged."""
    for p, data in dumps.items():
        store.write(p, partition_key(p), data)
    if producer.flush(30) != 0 or store.failures:
        log.warning("checkpoint not acknowledged", extra={"partitions": sorted(dumps)})
        return False
    pointers = [tp for tp in store.pointers() if tp.partition in dumps]
    if pointers:
        try:
            consumer.commit(offsets=pointers, asynchronous=True)
        except Exception as e:
            log.debug("commit of checkpoint hints failed", extra={"error": str(e)})
    return True


def committed_hints(consumer: Consumer, topic: str, partitions: list[int]) -> dict[int, int]:
    """Where the newest checkpoints of ``partitions`` were, as committed in the consumer's group
    (empty when the group has none yet, or cannot say)."""
    try:
        tps = consumer.committed([TopicPartition(topic, p) for p in partitions], timeout=10)
    except Exception:
        return {}
    return {tp.partition: tp.offset for tp in tps if tp.offset >= 0}


class CheckpointStore:
    """Writes checkpoints through the job's producer and reads the newest back on assignment."""

    def __init__(self, bootstrap_servers: str, topic: str, producer: Producer) -> None:
        self.topic = topic
        self._bootstrap = bootstrap_servers
        self._producer = producer
        self._acked: dict[int, int] = {}  # checkpoint partition → offset of the newest acked one
        self.failures = 0

    def write(self, partition: int, key: bytes, value: bytes) -> None:
        def delivered(err: KafkaError | None, msg: Message) -> None:
            if err is not None:
                self.failures += 1
                return
            offset = msg.offset() or 0
            if offset > self._acked.get(partition, -1):
                self._acked[partition] = offset

        self._producer.produce(self.topic, value, key, partition=partition, on_delivery=delivered)

    def pointers(self) -> list[TopicPartition]:
        """Where reading should start, per checkpoint partition (to commit in the group)."""
        return [TopicPartition(self.topic, p, o) for p, o in sorted(self._acked.items())]

    def load(
        self, wanted: dict[int, tuple[bytes, int | None]], timeout_s: float = 60.0
    ) -> dict[int, bytes | None]:
        """The newest checkpoint of each checkpoint partition in ``wanted`` (→ its key and the
        offset to start reading at, if known), read in one pass."""
        found = self._scan(
            {p: (key, hint) for p, (key, hint) in wanted.items() if hint is not None and hint >= 0},
            timeout_s,
        )
        missing: dict[int, tuple[bytes, int | None]] = {
            p: (key, None) for p, (key, _) in wanted.items() if found.get(p) is None
        }
        if missing:
            found.update(self._scan(missing, timeout_s))
        return {p: found.get(p) for p in wanted}

    def _scan(
        self, wanted: dict[int, tuple[bytes, int | None]], timeout_s: float
    ) -> dict[int, bytes | None]:
        if not wanted:
            return {}
        consumer = Consumer(
            {
                "bootstrap.servers": self._bootstrap,
                "group.id": f"tide-ckpt-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "enable.partition.eof": True,
                "auto.offset.reset": "earliest",
                "log_level": 3,
            }
        )
        consumer.assign(
            [
                TopicPartition(self.topic, p, OFFSET_BEGINNING if hint is None else hint)
                for p, (_, hint) in wanted.items()
            ]
        )
        newest: dict[int, bytes | None] = dict.fromkeys(wanted)
        pending = set(wanted)
        deadline = time.monotonic() + timeout_s
        try:
            while pending and time.monotonic() < deadline:
                for message in consumer.consume(1000, timeout=0.2):
                    self._take(message, wanted, newest, pending)
        finally:
            consumer.close()
        if pending:
            raise CheckpointError(
                f"{self.topic} {sorted(pending)} not read to the end in {timeout_s:.0f} s"
            )
        return newest

    def _take(
        self,
        message: Message,
        wanted: dict[int, tuple[bytes, int | None]],
        newest: dict[int, bytes | None],
        pending: set[int],
    ) -> None:
        p = message.partition() or 0
        error = message.error()
        if error is None:
            if message.key() == wanted[p][0]:
                newest[p] = message.value()
        elif error.code() == KafkaError._PARTITION_EOF:
            pending.discard(p)
        else:
            raise CheckpointError(f"reading {self.topic}[{p}]: {error.str()}")
