"""Who owns which partition: a compacted topic of ``partition → URL`` claims, read by everyone.

A member of a group that serves its partitions over HTTP (the order commands, the read models)
claims each partition it is assigned by writing its own address under the partition's key; every
member tails the topic from the start, so each knows the newest claim of every partition and can
send a request for a key it does not own to the member that does. A claim outlives its member
until the partition's next owner writes its own (at most a session timeout after a crash): a
request forwarded to a stale claim finds it gone, and the caller is told where the partition was
last seen.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition

from producers.topics import TopicSpec, ensure_topics

log = logging.getLogger(__name__)


class OwnerDirectory:
    def __init__(self, bootstrap_servers: str, topic: str, me: str, replication_factor: int = 1):
        self.topic = topic
        self.me = me  # this member's advertised base URL
        self._bootstrap = bootstrap_servers
        self._replication = replication_factor
        self._owners: dict[int, str] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._producer: Producer | None = None

    def start(self) -> None:
        ensure_topics(
            self._bootstrap, [TopicSpec(self.topic, 1, self._replication, compacted=True)]
        )
        self._producer = Producer({"bootstrap.servers": self._bootstrap, "acks": "all",
                                   "enable.idempotence": True, "log_level": 3})  # fmt: skip
        self._thread = threading.Thread(target=self._tail, name="owners", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        if self._producer is not None:
            self._producer.flush(5)

    def claim(self, partitions: list[int]) -> None:
        """Say that this member owns ``partitions`` now (called when they are assigned)."""
        if self._producer is None:
            raise RuntimeError("OwnerDirectory.start() first")
        with self._lock:
            self._owners.update(dict.fromkeys(partitions, self.me))
        at = int(time.time() * 1000)
        for p in partitions:
            value = json.dumps({"url": self.me, "at": at}).encode()
            self._producer.produce(self.topic, value, key=str(p).encode())
        if self._producer.flush(10) != 0:
            log.warning("ownership claim not acknowledged", extra={"partitions": partitions})

    def owner(self, partition: int) -> str | None:
        """The newest claimed owner of ``partition`` (None: nobody claimed it yet)."""
        with self._lock:
            return self._owners.get(partition)

    def members(self) -> list[str]:
        """The distinct members that claim a partition now (this one included)."""
        with self._lock:
            return sorted(set(self._owners.values()))

    def _tail(self) -> None:
        consumer = Consumer({"bootstrap.servers": self._bootstrap,
                             "group.id": f"tide-owners-{uuid.uuid4().hex}",  # never joined
                             "enable.auto.commit": False, "log_level": 0})  # fmt: skip
        consumer.assign([TopicPartition(self.topic, 0, OFFSET_BEGINNING)])
        try:
            while not self._stop.is_set():
                for message in consumer.consume(500, timeout=0.2):
                    error = message.error()
                    if error is not None:
                        if error.code() != KafkaError._PARTITION_EOF:
                            log.debug("owners read error", extra={"error": error.str()})
                        continue
                    self._take(message.key(), message.value())
        finally:
            consumer.close()

    def _take(self, key: bytes | None, value: bytes | None) -> None:
        try:
            partition, url = int(key or b""), str(json.loads(value or b"")["url"])
        except (ValueError, KeyError, TypeError):
            log.warning("not an ownership claim", extra={"key": repr(key)})
            return
        with self._lock:
            self._owners[partition] = url
