"""Never-lose-an-event publishing: validate, serialize, produce; fall back to a durable outbox.

An event is *acknowledged* to the caller (``on_ack``) once the broker has confirmed it
(acks=all) or once it is on disk in the outbox. Events go to the outbox when the registry or
the broker is unreachable (their circuit is open), when a delivery fails, or when their key
still has events waiting there (so one key's events stay in order).

Every event gets a send order when it is sent; the outbox replays by it, so an event that was
in flight when the broker went away, and failed only after ``delivery.timeout.ms``, goes back
in front of the later events of its key that were queued meanwhile. While events are queued
because the broker is down, a send tries it again every ``reset_timeout_s`` (half-open); once it
answers, the outbox drains in bounded steps between sends — new events of keys still in the
outbox keep following them there — so a long run recovers by itself. ``drain()`` replays all
of it; ``flush()`` delivers what is in flight and then drains.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer
from confluent_kafka.admin import AdminClient

from producers.config import ProducerConfig
from producers.errors import RegistryUnavailableError, UnknownTopicError
from producers.outbox.store import Outbox
from producers.registry_client import RegistryClient
from producers.resilience.backoff import Backoff, call_with_retries
from producers.resilience.breaker import BreakerConfig, BreakerState, CircuitBreaker
from producers.resilience.errors import CircuitOpenError, RetriesExhaustedError
from producers.serializer import AvroSerializer

log = logging.getLogger(__name__)


class Ack(StrEnum):
    DELIVERED = "delivered"  # the broker confirmed it (acks=all)
    QUEUED = "queued"  # durable in the outbox; it will be replayed


@dataclass(frozen=True)
class Acknowledgement:
    key: str
    event: dict[str, Any]
    how: Ack
    partition: int | None = None  # where the broker put it (delivered events only)
    offset: int | None = None


OnAck = Callable[[Acknowledgement], None]
Resolve = Callable[[str], AvroSerializer]  # topic → its serializer (UnknownTopicError if none)

QUEUE_BATCH = 256  # events written to the outbox per transaction (one fsync), then acknowledged
POLL_EVERY = 64  # sends between two polls of delivery reports
DRAIN_STEP = 2_000  # outbox entries replayed between sends once the broker is back
_BROKER_DOWN = (KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT, KafkaError._RESOLVE)
_PURGED = (KafkaError._PURGE_QUEUE, KafkaError._PURGE_INFLIGHT)


@dataclass(frozen=True)
class PublisherConfig:
    producer: ProducerConfig
    outbox_path: Path
    breaker: BreakerConfig = field(default_factory=BreakerConfig)
    backoff: Backoff = field(default_factory=lambda: Backoff(max_attempts=3))


@dataclass
class PublisherStats:
    delivered: int = 0
    queued: int = 0
    replayed: int = 0
    per_partition: dict[int, int] = field(default_factory=dict)


class Publisher:
    """Publishes events of known topics (``serializers`` by topic) with an outbox fallback."""

    def __init__(
        self,
        config: PublisherConfig,
        serializers: dict[str, AvroSerializer],
        on_ack: OnAck | None = None,
        resolve: Resolve | None = None,
    ) -> None:
        self._config = config
        self._serializers = serializers
        self._resolve = resolve  # a serializer for a topic not given at start (a registered one)
        self.on_ack = on_ack  # may be replaced, e.g. per HTTP request
        self._outbox = Outbox(config.outbox_path)
        self._waiting = self._outbox.keys_pending()
        self._order = self._outbox.last_order()  # send order: the outbox replays by it
        self.registry_breaker = CircuitBreaker(
            "registry", config.breaker, failure_on=(RegistryUnavailableError,
                                                    RetriesExhaustedError)
        )  # fmt: skip
        self.broker_breaker = CircuitBreaker("broker", config.breaker, failure_on=(KafkaException,))
        self._producer = self._new_producer()
        self.stats = PublisherStats()
        self.last_outage: str | None = None  # why events were last queued, for the user
        self._buffer: list[tuple[str, str, dict[str, Any], int]] = []  # queued, not on disk
        self._sends = 0

    # -- sending ---------------------------------------------------------------------------
    def serializer(self, topic: str) -> AvroSerializer:
        """The serializer of ``topic``; UnknownTopicError when it has no schema."""
        found = self._serializers.get(topic)
        if found is None:
            if self._resolve is None:
                raise UnknownTopicError(f"no schema for topic {topic!r}")
            found = self._serializers[topic] = self._resolve(topic)
        return found

    def send(self, topic: str, key: str, event: dict[str, Any]) -> None:
        """Validate (SchemaValidationError if invalid: nothing is kept), then publish or queue."""
        serializer = self.serializer(topic)
        body = serializer.body(event)
        self._order += 1
        order = self._order
        self._sends += 1
        if self._sends % POLL_EVERY == 0:
            self._producer.poll(0)
            self.recover()
        if (topic, key) in self._waiting or self.broker_breaker.state is not BreakerState.CLOSED:
            self._queue(topic, key, event, order)
            return
        try:
            header = self._header(serializer)
        except (CircuitOpenError, RetriesExhaustedError) as e:
            self.last_outage = _outage(e)
            self._queue(topic, key, event, order)
            return
        self._produce(
            topic,
            key,
            header + body,
            lambda err, msg: self._delivered(err, msg, key, event, order),
        )

    def wait_for(self, done: Callable[[], bool], timeout_s: float) -> None:
        """Serve delivery reports until ``done()`` (e.g. a request's events all acknowledged).

        Queued events are written out (acknowledged) at once, and while the broker's circuit is
        open the events not yet sent come back to the outbox instead of waiting for it."""
        deadline = time.monotonic() + timeout_s
        while True:
            self._commit_queue()
            if done() or time.monotonic() >= deadline:
                return
            self.serve(0.02)

    def serve(self, timeout_s: float = 0.0) -> None:
        """One round of ``wait_for``: delivery reports served (up to ``timeout_s`` waiting for
        one), queued events written out, and — while the broker's circuit is open — the events
        not yet sent taken back to the outbox."""
        self._producer.poll(timeout_s)
        if len(self._producer) and self.broker_breaker.state is not BreakerState.CLOSED:
            self._unsend()
        self._commit_queue()

    def _unsend(self) -> None:
        """Events not yet sent to the broker go to the outbox (in send order); those in flight
        stay with the client, whose idempotent retries deliver them once, or time out."""
        self._producer.purge(in_queue=True, in_flight=False, blocking=True)
        self._producer.poll(0.1)  # serves the purged events' reports

    def recover(self) -> None:
        """Between sends: try the broker again once its circuit lets a trial through, and
        replay a step of the outbox while it answers."""
        if self.broker_breaker.state is not BreakerState.CLOSED and not self._broker_ready(0.5):
            return
        if self._waiting:
            self._drain_step(DRAIN_STEP, wait_s=1.0)

    def _header(self, serializer: AvroSerializer) -> bytes:
        if serializer.header_known:
            return serializer.header()  # cached: no remote call to guard

        def with_retries() -> bytes:
            return call_with_retries(
                serializer.header,
                backoff=self._config.backoff,
                retry_on=(RegistryUnavailableError,),
                name="registry",
            )

        return self.registry_breaker.call(with_retries)

    def _new_producer(self) -> Producer:
        return Producer({**self._config.producer.librdkafka(), "error_cb": self._on_error})

    def _renew_producer(self) -> None:
        """After an outage, a fresh client: one that lived through a broker restart can stay
        wedged (the embedded broker forgets its idempotence state and every retry times out).
        What the old one still holds fails now, back to the outbox in send order, and is
        replayed — at least once: a record that reached the broker just before can repeat."""
        old, self._producer = self._producer, self._new_producer()
        old.flush(2.0)  # a broker that is back takes the client's own retries (exactly once)
        old.purge()
        old.flush(5.0)  # serves the purged events' reports: each goes to the outbox
        log.info("producer renewed after an outage", extra={"outbox": len(self._buffer)})

    def _produce(
        self, topic: str, key: str, value: bytes, callback: Callable[[Any, Message], None]
    ) -> None:
        while True:
            try:
                self._producer.produce(topic, value, key.encode(), on_delivery=callback)
                return
            except BufferError:
                self._producer.poll(0.1)  # local queue full: serve delivery reports first

    def _queue(self, topic: str, key: str, event: dict[str, Any], order: int) -> None:
        """Keep the event for the outbox; it is acknowledged once its batch is on disk."""
        self._buffer.append((topic, key, event, order))
        self._waiting.add((topic, key))
        if len(self._buffer) >= QUEUE_BATCH:
            self._commit_queue()

    def _commit_queue(self) -> None:
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []
        self._outbox.add_many(
            ((topic, key, event, None) for topic, key, event, _ in batch),
            orders=[order for *_, order in batch],
        )
        self.stats.queued += len(batch)
        for _, key, event, _ in batch:
            self._ack(Acknowledgement(key, event, Ack.QUEUED))

    def _delivered(
        self,
        error: KafkaError | None,
        message: Message,
        key: str,
        event: dict[str, Any],
        order: int,
    ) -> None:
        if error is not None:
            if error.code() not in _PURGED:
                log.warning("delivery failed, queued", extra={"topic": message.topic(),
                                                              "error": str(error)})  # fmt: skip
                self.broker_breaker.record_failure()
            self._queue(message.topic() or "", key, event, order)  # in front of later ones
            return
        self.broker_breaker.record_success()
        self._count(message)
        self._ack(Acknowledgement(key, event, Ack.DELIVERED, message.partition(), message.offset()))

    def _count(self, message: Message) -> None:
        self.stats.delivered += 1
        partition = message.partition() or 0
        self.stats.per_partition[partition] = self.stats.per_partition.get(partition, 0) + 1

    def _ack(self, ack: Acknowledgement) -> None:
        if self.on_ack is not None:
            self.on_ack(ack)

    def _on_error(self, error: KafkaError) -> None:
        if error.code() not in _BROKER_DOWN:
            log.warning("kafka client error", extra={"error": str(error)})
            return
        self.last_outage = (
            f"Kafka broker not reachable at {self._config.producer.bootstrap_servers}"
        )
        log.warning("broker unreachable", extra={"error": str(error)})
        self.broker_breaker.trip()

    def broker_down(self, reason: str) -> None:
        """The broker is known down before the first send: queue at once, probe as usual."""
        self.last_outage = reason
        self.broker_breaker.trip()

    def dead_letter(self, topic: str, source: str, reason: str, payload: bytes) -> None:
        """Send a refused input to ``<topic>.dlq``: the payload as received, why, and whence."""
        headers: dict[str, str | bytes | None] = {
            "tide.dlq.reason": reason.encode(),
            "tide.dlq.source": source.encode(),
            "tide.dlq.topic": topic.encode(),
        }

        def report(error: KafkaError | None, _message: Message) -> None:
            if error is not None:  # the input is still in its file: say so loudly
                log.error("dead letter not delivered", extra={"source": source,
                                                              "error": str(error)})  # fmt: skip

        while True:
            try:
                self._producer.produce(f"{topic}.dlq", payload, None, headers=headers,
                                       on_delivery=report)  # fmt: skip
                break
            except BufferError:
                self._producer.poll(0.1)
        log.info("dead-lettered", extra={"topic": topic, "source": source, "reason": reason})

    # -- replay ------------------------------------------------------------------------------
    def broker_answers(self, timeout_s: float = 2.0) -> bool:
        admin = AdminClient({"bootstrap.servers": self._config.producer.bootstrap_servers,
                             "log_level": 0})  # fmt: skip
        try:
            admin.list_topics(timeout=timeout_s)
        except KafkaException:
            return False
        return True

    def drain(self, batch: int = 5_000) -> int:
        """Replay the outbox in order while the dependencies answer; returns events replayed."""
        return self._drain_step(None, wait_s=10.0, batch=batch)

    def _drain_step(self, limit: int | None, wait_s: float, batch: int = 5_000) -> int:
        """Replay up to ``limit`` entries (all if None), in order, if nothing is in flight."""
        self._commit_queue()
        if self._settle(wait_s):
            return 0  # earlier events of the same keys are still in flight: keep the order
        if not self._broker_ready(0.5):
            return 0
        replayed = 0
        step = batch if limit is None else min(batch, limit)
        while (limit is None or replayed < limit) and (entries := self._outbox.pending(step)):
            done: list[int] = []
            failed = False
            for entry in entries:
                try:
                    serializer = self.serializer(entry.topic)
                    value = self._header(serializer) + serializer.body(entry.event)
                except (CircuitOpenError, RetriesExhaustedError, RegistryUnavailableError):
                    failed = True
                    break

                def callback(
                    err: Any, msg: Message, seq: int = entry.seq, done: list[int] = done
                ) -> None:
                    if err is None:
                        done.append(seq)
                        self._count(msg)

                self._produce(entry.topic, entry.key, value, callback)
            self._producer.flush(30.0)
            self._outbox.ack(done)
            replayed += len(done)
            if failed or len(done) < len(entries):
                break
        self._waiting = self._outbox.keys_pending()
        self.stats.replayed += replayed
        if replayed:
            log.info("outbox replayed", extra={"events": replayed, "left": len(self._outbox)})
        return replayed

    def _settle(self, timeout_s: float) -> int:
        """Wait for the events in the client; returns how many still are. Once the broker's
        circuit is open, those not yet sent go to the outbox now (see ``_unsend``)."""
        deadline = time.monotonic() + timeout_s
        while len(self._producer) and (left := deadline - time.monotonic()) > 0:
            self._producer.flush(min(0.1, left))
            if len(self._producer) and self.broker_breaker.state is not BreakerState.CLOSED:
                self._unsend()
        return len(self._producer)

    def _broker_ready(self, probe_s: float = 2.0) -> bool:
        if self.broker_breaker.state is BreakerState.CLOSED:
            return True
        if not self.broker_breaker.allow():
            return False
        if self.broker_answers(probe_s):
            self._renew_producer()
            self.broker_breaker.record_success()
            return True
        self.broker_breaker.record_failure()
        return False

    def pending(self) -> int:
        """Events in the outbox (writing out the batch being gathered first)."""
        self._commit_queue()
        return len(self._outbox)

    def flush(self, timeout_s: float = 30.0) -> PublisherStats:
        """Deliver what is in flight, then replay the outbox if the dependencies answer."""
        self._settle(timeout_s)
        self.drain()
        return self.stats

    def close(self) -> None:
        self._producer.flush(10.0)
        self._commit_queue()
        self._outbox.close()


def _outage(error: Exception) -> str:
    """The root cause of a failed registry call, in one line."""
    cause: BaseException = error
    while cause.__cause__ is not None:
        cause = cause.__cause__
    return str(cause) if isinstance(cause, RegistryUnavailableError) else str(error)


def build_publisher(
    config: PublisherConfig,
    registry: RegistryClient,
    contracts: dict[str, tuple[str, str]],
    on_ack: OnAck | None = None,
    resolve: Callable[[str], tuple[str, str]] | None = None,
) -> Publisher:
    """A publisher for ``contracts`` given as ``{topic: (subject, schema_str)}``, and for the
    topics ``resolve`` finds a ``(subject, schema_str)`` for."""
    serializers = {
        topic: AvroSerializer(registry, subject, schema)
        for topic, (subject, schema) in contracts.items()
    }
    found = None if resolve is None else lambda t: AvroSerializer(registry, *resolve(t))
    return Publisher(config, serializers, on_ack, found)
