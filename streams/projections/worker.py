"""A projection worker: a member of the projection group on ``orders`` keeping the read models.

Partitions are the unit of work, as for the window jobs: on assignment the newest checkpoint of
the partition is restored and the partition read from the offset inside it (never from the
group's committed offsets); on revocation a checkpoint is written before it is let go; every
``checkpoint_interval_s`` (or after ``checkpoint_every_events`` events moved orders) each
owned partition's book is checkpointed. The read API reads the books under ``lock``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    Message,
    Producer,
    TopicPartition,
)

from producers.deserializer import AvroDeserializer
from producers.errors import WireFormatError
from producers.partition_bounds import bounds
from producers.registry_client import RegistryClient
from producers.serializer import AvroSerializer
from producers.topics import TopicSpec, ensure_topics, partitions_of
from schemas.loader import load
from streams.projections.book import PartitionBook
from streams.projections.changelog import SummaryChangelog
from streams.runner.clients import member_consumer
from streams.state.checkpoints import (
    CheckpointStore,
    checkpoint_partitions,
    committed_hints,
    partition_key,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProjectionSettings:
    bootstrap_servers: str
    registry_url: str
    source: str = "orders"
    checkpoint_interval_s: float = 2.0
    checkpoint_every_events: int = 5_000  # a snapshot also after this many events moved orders
    session_timeout_s: float = 10.0
    replication_factor: int = 1
    role: str = "projections"  # "orders": the command side's own group, books and snapshots
    emit_summaries: bool = True  # the read models' changelog (projections only)

    @property
    def group_id(self) -> str:
        return f"tide-{self.role}-{self.source}"

    @property
    def summaries_topic(self) -> str | None:
        """Where ``order_summary`` changes go (None: nowhere, the command side)."""
        if self.role != "projections" or not self.emit_summaries:
            return None
        return "order_summary" if self.source == "orders" else f"{self.source}_summary"

    @property
    def checkpoint_topic(self) -> str:
        return f"_tide-{self.role}-{self.source}-checkpoints"


class ProjectionWorker:
    def __init__(self, settings: ProjectionSettings, stop: threading.Event) -> None:
        self.settings = settings
        self.stop_event = stop
        self.lock = threading.Lock()
        self.books: dict[int, PartitionBook] = {}
        self.partitions = 0
        self.skipped = 0  # records that are not order events (named in the log)
        self.ready = threading.Event()  # set once the group assigned this member its share
        self.changelog: SummaryChangelog | None = None
        self.ends: dict[int, int] = {}  # owned partition → its end offset when it was assigned
        self.on_assigned: list[Callable[[list[int]], None]] = []  # called with the new ones
        self.on_released: list[Callable[[list[int]], None]] = []  # called with the ones let go

    def caught_up(self, p: int) -> bool:
        """True once this member owns ``p`` and has read all it held when it was first asked
        after the assignment: a decision on its orders then sees every event an earlier owner
        wrote. (BrokerUnavailableError when the partition's end cannot be read.)"""
        with self.lock:
            owned, end = p in self.books, self.ends.get(p)
        if not owned:
            return False
        if end is None:
            ((_, end),) = bounds(
                self.settings.bootstrap_servers, [(self.settings.source, p)]
            ).values()
            with self.lock:
                if p not in self.books:
                    return False
                end = self.ends.setdefault(p, end)
        with self.lock:
            book = self.books.get(p)
            return book is not None and (end == 0 or (book.next_offset or 0) >= end)

    def run(self) -> None:
        s = self.settings
        self.partitions = len(partitions_of(s.bootstrap_servers, s.source))
        ensure_topics(
            s.bootstrap_servers,
            [TopicSpec(s.checkpoint_topic, self.partitions, s.replication_factor, compacted=True)],
        )
        registry = RegistryClient(s.registry_url)
        decoder = AvroDeserializer(registry)
        producer = Producer(
            {"bootstrap.servers": s.bootstrap_servers, "acks": "all",
             "enable.idempotence": True, "log_level": 3}
        )  # fmt: skip
        if s.summaries_topic is not None:
            ensure_topics(s.bootstrap_servers, [TopicSpec(s.summaries_topic, self.partitions,
                                                          s.replication_factor)])  # fmt: skip
            serializer = AvroSerializer(registry, f"{s.summaries_topic}-value",
                                        load("order_summary").schema_str)  # fmt: skip
            self.changelog = SummaryChangelog(producer, serializer, s.summaries_topic)
        self._store = CheckpointStore(s.bootstrap_servers, s.checkpoint_topic, producer)
        self._producer = producer
        self._consumer = consumer = member_consumer(
            s.bootstrap_servers, s.group_id, "tide-projections", s.session_timeout_s
        )
        consumer.subscribe([s.source], on_assign=self._assign, on_revoke=self._revoke,
                           on_lost=self._lost)  # fmt: skip
        log.info("projections starting", extra={"source": s.source, "partitions": self.partitions})
        last, at_last = time.monotonic(), 0
        try:
            while not self.stop_event.is_set():
                for message in consumer.consume(2000, timeout=0.2):
                    error = message.error()
                    if error is not None:
                        if error.code() != KafkaError._PARTITION_EOF:
                            log.warning("read error", extra={"error": error.str()})
                        continue
                    self._apply(decoder, message.partition() or 0, message)
                moved = sum(b.applied for b in list(self.books.values()))
                if (time.monotonic() - last >= s.checkpoint_interval_s
                        or moved - at_last >= s.checkpoint_every_events):  # fmt: skip
                    self._checkpoint(list(self.books))
                    last, at_last = time.monotonic(), moved
            self._checkpoint(list(self.books))
        finally:
            consumer.close()  # leaves the group: revocation checkpoints what it held
            producer.flush(10)

    def _apply(self, decoder: AvroDeserializer, p: int, message: Message) -> None:
        offset, value = message.offset() or 0, message.value()
        try:
            event = decoder.decode(value or b"")
        except WireFormatError as e:
            with self.lock:  # read past: a partition's end is reached even when it is not ours
                book = self.books.get(p)
                if book is not None:
                    book.next_offset = offset + 1
            self.skipped += 1
            log.warning("not an order event", extra={"partition": p, "offset": offset,
                                                     "error": str(e)})  # fmt: skip
            return
        with self.lock:
            book = self.books.get(p)
            if book is None or not book.add(event, offset):
                return
            state = book.folds[event["order_id"]].state
        if self.changelog is not None:
            self.changelog.emit(state)

    def checkpoint(self, partitions: list[int]) -> None:
        """Checkpoint the books of ``partitions`` now (e.g. right after a rebuild swapped them)."""
        self._checkpoint(partitions)

    def _checkpoint(self, partitions: list[int]) -> None:
        with self.lock:
            dumps = {p: self.books[p].dump() for p in partitions if p in self.books}
        checkpoint_partitions(self._store, self._producer, self._consumer, dumps)

    def _assign(self, consumer: Consumer, tps: list[TopicPartition]) -> None:
        wanted = [tp.partition for tp in tps]
        hints = committed_hints(consumer, self.settings.checkpoint_topic, wanted)
        found = self._store.load({p: (partition_key(p), hints.get(p)) for p in wanted})
        starts = []
        with self.lock:
            for p in wanted:
                data = found[p]
                book = PartitionBook(p) if data is None else PartitionBook.restore(data)
                self.books[p] = book
                start = OFFSET_BEGINNING if book.next_offset is None else book.next_offset
                starts.append(TopicPartition(self.settings.source, p, start))
        consumer.incremental_assign(starts)
        log.info("partitions restored", extra={"partitions": {tp.partition: tp.offset
                                                              for tp in starts}})  # fmt: skip
        for hook in self.on_assigned:
            hook(wanted)
        self.ready.set()

    def _revoke(self, consumer: Consumer, tps: list[TopicPartition]) -> None:
        mine = [tp.partition for tp in tps if tp.partition in self.books]
        self._checkpoint(mine)
        self._lost(consumer, tps)

    def _lost(self, consumer: Consumer, tps: list[TopicPartition]) -> None:
        with self.lock:
            for tp in tps:
                self.books.pop(tp.partition, None)
                self.ends.pop(tp.partition, None)
        for hook in self.on_released:
            hook([tp.partition for tp in tps])
        log.info("partitions released", extra={"partitions": [tp.partition for tp in tps]})
