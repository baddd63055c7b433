"""A saga group member: one role (a participant or the saga_state keeper) over ``saga_events``.

Partition ``p`` of ``saga_events`` is the unit of work; the member that the role's group gives it
to also reads partition ``p`` of ``orders`` (the same sagas: both have the same partition count
and every saga event is written to its OrderPlaced's partition) through a consumer of its own,
outside the group. Per partition the role's state and both read offsets are checkpointed
TOGETHER as one message (``streams.state.checkpoints.CheckpointStore``, as the projections do);
the next owner restores it and reads on from the offsets inside. Events emitted after the last
checkpoint are emitted again on replay with the same ids, which every reader dedupes.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
import zlib
from dataclasses import dataclass
from typing import Any, Protocol

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, Producer
from confluent_kafka import TopicPartition as TP

from producers.deserializer import AvroDeserializer
from producers.errors import UnknownTopicError, WireFormatError
from producers.registry_client import RegistryClient
from producers.serializer import AvroSerializer
from producers.topics import TopicSpec, ensure_topics, partitions_of
from schemas.loader import load
from streams.errors import CheckpointError
from streams.runner.clients import member_consumer
from streams.sagas import metrics
from streams.sagas.errors import SagaTopologyError
from streams.sagas.events import from_order_placed, normalized, now_ms
from streams.state.checkpoints import (
    CheckpointStore,
    checkpoint_partitions,
    committed_hints,
    partition_key,
)

log = logging.getLogger(__name__)
MAGIC = b"TSG2"  # zlib-compressed JSON: a partition of thousands of sagas stays one message
PLAIN = b"TSG1"  # uncompressed JSON, as the first version wrote it
TICK_S = 0.1  # how often held answers and overdue steps are looked for
Out = tuple[str, dict[str, Any]]


class PartitionLogic(Protocol):
    def on_order(self, facts: dict[str, Any], now: int) -> list[Out]: ...
    def on_event(self, event: dict[str, Any], now: int) -> list[Out]: ...
    def tick(self, now: int) -> list[Out]: ...
    def dump(self) -> dict[str, Any]: ...
    def load(self, body: dict[str, Any]) -> None: ...


class LogicFactory(Protocol):
    def __call__(self) -> PartitionLogic: ...


@dataclass(frozen=True)
class SagaSettings:
    bootstrap_servers: str
    registry_url: str
    orders_topic: str = "orders"
    events_topic: str = "saga_events"
    alerts_topic: str = "saga_alerts"
    checkpoint_interval_s: float = 1.0
    session_timeout_s: float = 10.0
    replication_factor: int = 1

    def group_id(self, role: str) -> str:
        return f"tide-saga-{role}-{self.events_topic}"

    def checkpoint_topic(self, role: str) -> str:
        return f"_tide-saga-{role}-{self.events_topic}-checkpoints"


@dataclass
class Slot:
    logic: PartitionLogic
    orders_at: int | None = None  # next offset of `orders` to read
    events_at: int | None = None  # next offset of `saga_events` to read

    def dump(self) -> bytes:
        body = {"orders_at": self.orders_at, "events_at": self.events_at,
                "logic": self.logic.dump()}  # fmt: skip
        return MAGIC + zlib.compress(json.dumps(body, separators=(",", ":")).encode(), 6)

    @classmethod
    def restore(cls, data: bytes, logic: PartitionLogic) -> Slot:
        if data.startswith(MAGIC):
            body = json.loads(zlib.decompress(data[len(MAGIC) :]))
        elif data.startswith(PLAIN):
            body = json.loads(data[len(PLAIN) :])
        else:
            raise CheckpointError("not a saga checkpoint (another version wrote it?)")
        logic.load(body["logic"])
        return cls(logic, body["orders_at"], body["events_at"])


class SagaMember:
    def __init__(self, settings: SagaSettings, role: str, make: LogicFactory,
                 reads_orders: bool, stop: threading.Event) -> None:  # fmt: skip
        self.settings, self.role, self.make = settings, role, make
        self.reads_orders, self.stop_event = reads_orders, stop
        self.lock = threading.Lock()
        self.slots: dict[int, Slot] = {}
        self.partitions = 0
        self.ready = threading.Event()

    def _ensure_topics(self) -> None:
        """Create the saga's topics if missing; SagaTopologyError if they do not fit `orders`."""
        s = self.settings
        self.partitions = len(partitions_of(s.bootstrap_servers, s.orders_topic))
        ensure_topics(s.bootstrap_servers, [
            TopicSpec(s.events_topic, self.partitions, s.replication_factor),
            TopicSpec(s.alerts_topic, 1, s.replication_factor),
            TopicSpec(s.checkpoint_topic(self.role), self.partitions, s.replication_factor,
                      compacted=True),
        ])  # fmt: skip
        events = _partition_count(s.bootstrap_servers, s.events_topic)
        if events != self.partitions:
            raise SagaTopologyError(
                f"{s.events_topic} has {events} partitions and {s.orders_topic} "
                f"{self.partitions}: a saga's events must share its order's partition"
            )

    def run(self) -> None:
        s = self.settings
        self._ensure_topics()
        registry = RegistryClient(s.registry_url)
        self._decoder = AvroDeserializer(registry)
        self._encoders = {
            "events": (s.events_topic, AvroSerializer(registry, f"{s.events_topic}-value",
                                                      load("saga_events").schema_str)),
            "alerts": (s.alerts_topic, AvroSerializer(registry, f"{s.alerts_topic}-value",
                                                      load("saga_alerts").schema_str)),
        }  # fmt: skip
        self._producer = Producer({"bootstrap.servers": s.bootstrap_servers, "acks": "all",
                                   "enable.idempotence": True, "linger.ms": 2,
                                   "log_level": 3})  # fmt: skip
        self._store = CheckpointStore(s.bootstrap_servers, s.checkpoint_topic(self.role),
                                      self._producer)  # fmt: skip
        self._group = member_consumer(s.bootstrap_servers, s.group_id(self.role),
                                      f"tide-saga-{self.role}", s.session_timeout_s)  # fmt: skip
        self._orders = Consumer({"bootstrap.servers": s.bootstrap_servers,
                                 "group.id": f"tide-saga-orders-{uuid.uuid4().hex}",
                                 "enable.auto.commit": False, "log_level": 3})  # fmt: skip
        self._group.subscribe([s.events_topic], on_assign=self._assign,
                              on_revoke=self._revoke, on_lost=self._lost)  # fmt: skip
        log.info("saga member starting", extra={"role": self.role, "partitions": self.partitions})
        try:
            self._loop()
        finally:
            self._group.close()  # leaves the group: revocation checkpoints what it held
            self._orders.close()
            self._producer.flush(10)
            registry.close()

    def _loop(self) -> None:
        last = ticked = time.monotonic()
        while not self.stop_event.is_set():
            for m in self._group.consume(500, timeout=0.1):
                self._take(m, orders=False)
            if self.reads_orders:
                for m in self._orders.consume(500, timeout=0.05):
                    self._take(m, orders=True)
            if time.monotonic() - ticked >= TICK_S:  # a tick looks at every saga it holds
                self._tick()
                ticked = time.monotonic()
            if time.monotonic() - last >= self.settings.checkpoint_interval_s:
                self._checkpoint(list(self.slots))
                last = time.monotonic()
        self._checkpoint(list(self.slots))

    def _take(self, message: Message, orders: bool) -> None:
        error = message.error()
        if error is not None:
            if error.code() != KafkaError._PARTITION_EOF:
                log.warning("read error", extra={"error": error.str()})
            return
        p, offset = message.partition() or 0, message.offset() or 0
        try:
            record = self._decoder.decode(message.value() or b"")
        except WireFormatError as e:
            log.warning("not a saga input", extra={"partition": p, "error": str(e)})
            record = None
        with self.lock:
            slot = self.slots.get(p)
            if slot is None:
                return
            outs: list[Out] = []
            if orders:
                slot.orders_at = offset + 1
                facts = None if record is None else from_order_placed(record)
                if facts is not None:
                    outs = slot.logic.on_order(facts, now_ms())
            else:
                slot.events_at = offset + 1
                if record is not None:
                    outs = slot.logic.on_event(normalized(record), now_ms())
        self._emit(p, outs)

    def _tick(self) -> None:
        with self.lock:
            due = {p: slot.logic.tick(now_ms()) for p, slot in self.slots.items()}
        for p, outs in due.items():
            self._emit(p, outs)

    def _emit(self, p: int, outs: list[Out]) -> None:
        for kind, record in outs:
            topic, encoder = self._encoders[kind]
            partition = p if kind == "events" else 0
            self._producer.produce(topic, encoder.encode(record), record["saga_id"].encode(),
                                   partition=partition)  # fmt: skip
            metrics.EMITTED.labels(self.role, record.get("type", "SagaAlert")).inc()
        self._producer.poll(0)

    def _checkpoint(self, partitions: list[int]) -> None:
        if self._producer.flush(30) != 0:  # what was emitted first, then what covers it
            log.warning("saga events not acknowledged", extra={"role": self.role})
            return
        with self.lock:
            dumps = {p: self.slots[p].dump() for p in partitions if p in self.slots}
        checkpoint_partitions(self._store, self._producer, self._group, dumps)

    def _assign(self, consumer: Consumer, tps: list[TP]) -> None:
        s, wanted = self.settings, [tp.partition for tp in tps]
        hints = committed_hints(consumer, s.checkpoint_topic(self.role), wanted)
        found = self._store.load({p: (partition_key(p), hints.get(p)) for p in wanted})
        with self.lock:
            for p in wanted:
                data = found[p]
                self.slots[p] = (Slot(self.make()) if data is None
                                 else Slot.restore(data, self.make()))  # fmt: skip
            starts = {p: self.slots[p] for p in wanted}
        consumer.incremental_assign([TP(s.events_topic, p, _at(sl.events_at))
                                     for p, sl in starts.items()])  # fmt: skip
        if self.reads_orders:
            self._orders.incremental_assign([TP(s.orders_topic, p, _at(sl.orders_at))
                                             for p, sl in starts.items()])  # fmt: skip
        log.info("saga partitions restored", extra={"role": self.role, "partitions": wanted})
        self.ready.set()

    def _revoke(self, consumer: Consumer, tps: list[TP]) -> None:
        self._checkpoint([tp.partition for tp in tps if tp.partition in self.slots])
        self._lost(consumer, tps)

    def _lost(self, consumer: Consumer, tps: list[TP]) -> None:
        gone = [tp.partition for tp in tps]
        with self.lock:
            for p in gone:
                self.slots.pop(p, None)
        if self.reads_orders:
            self._orders.incremental_unassign([TP(self.settings.orders_topic, p) for p in gone])
        log.info("saga partitions released", extra={"role": self.role, "partitions": gone})


def _partition_count(bootstrap_servers: str, topic: str, wait_s: float = 10.0) -> int:
    """Partitions of a topic just created (its metadata may lag the creation a moment)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return len(partitions_of(bootstrap_servers, topic))
        except UnknownTopicError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)  # polling the broker's metadata, bounded by wait_s


def _at(offset: int | None) -> int:
    return OFFSET_BEGINNING if offset is None else offset
