"""Read a topic's records, decoded, from where the operator says; never as a group member.

Partitions are assigned (no subscribe, no commits), so reading never moves anyone's position
and never joins a group. Without ``follow`` the read stops at the end of every partition (its
end-of-partition event, not the broker's high watermark, which the embedded broker under-reports).
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message
from confluent_kafka import TopicPartition as TP

from producers.partition_bounds import bounds
from producers.registry_client import RegistryClient
from producers.topics import topic_metadata
from tide.ops.errors import BadStartError, BrokerQueryError, InspectError, UnknownPartitionError
from tide.ops.offsets import admin, reader
from tide.ops.record_view import RecordDecoder, Shown, iso_ms, text_or_base64

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Start:
    """Where reading starts: a position, an offset, or a time (milliseconds since the epoch)."""

    kind: Literal["beginning", "end", "offset", "time"]
    value: int = 0


@dataclass(frozen=True)
class ConsumeRequest:
    topic: str
    start: Start
    limit: int | None = None
    follow: bool = False
    partition: int | None = None


@dataclass(frozen=True)
class ConsumedRecord:
    partition: int
    offset: int
    timestamp: str | None
    key: Shown
    headers: dict[str, Any]
    value: Shown

    def as_dict(self) -> dict[str, Any]:
        return {
            "partition": self.partition,
            "offset": self.offset,
            "timestamp": self.timestamp,
            "key": self.key.value,
            "headers": self.headers,
            "value": self.value.value,
            "value_encoding": self.value.encoding,
            "schema_id": self.value.schema_id,
        }


def parse_start(text: str) -> Start:
    """``beginning``, ``end``, an offset, or an ISO 8601 time (UTC unless it says otherwise)."""
    word = text.strip().lower()
    if word in ("beginning", "end"):
        return Start("beginning" if word == "beginning" else "end")
    if word.isdigit():
        return Start("offset", int(word))
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadStartError(
            f"--from {text!r} is neither beginning, end, an offset nor an ISO 8601 time "
            "(e.g. 2026-12-01T10:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return Start("time", int(moment.timestamp() * 1000))


def consume(
    bootstrap_servers: str, registry_url: str, request: ConsumeRequest
) -> Generator[ConsumedRecord, None, None]:
    """The records of ``request.topic`` from its start, decoded, in each partition's order."""
    partitions = _partitions(bootstrap_servers, request)
    consumer = reader(bootstrap_servers)
    registry = RegistryClient(registry_url)
    try:
        consumer.assign(_positions(consumer, bootstrap_servers, request, partitions))
        yield from _records(consumer, RecordDecoder(registry), request, set(partitions))
    finally:
        consumer.close()
        registry.close()


def _partitions(bootstrap_servers: str, request: ConsumeRequest) -> list[int]:
    meta = topic_metadata(admin(bootstrap_servers), bootstrap_servers, request.topic)
    partitions = sorted(int(p) for p in meta.partitions)
    if request.partition is None:
        return partitions
    if request.partition not in partitions:
        raise UnknownPartitionError(
            f"topic {request.topic!r} has no partition {request.partition} "
            f"(partitions: {', '.join(map(str, partitions))})"
        )
    return [request.partition]


def _positions(
    consumer: Consumer, bootstrap_servers: str, request: ConsumeRequest, partitions: list[int]
) -> list[TP]:
    """Where each partition is read from. The end is the confirmed one (``bounds``), not
    OFFSET_END, which the client resolves with the broker's answer that Tansu under-reports."""
    topic, start = request.topic, request.start
    if start.kind == "beginning":
        return [TP(topic, p, OFFSET_BEGINNING) for p in partitions]
    marks = bounds(bootstrap_servers, [(topic, p) for p in partitions])
    if start.kind == "end":
        return [TP(topic, p, marks[(topic, p)][1]) for p in partitions]
    if start.kind == "offset":  # kept within the partition, not reset to its beginning
        return [TP(topic, p, min(max(start.value, marks[(topic, p)][0]), marks[(topic, p)][1]))
                for p in partitions]  # fmt: skip
    try:
        found = consumer.offsets_for_times([TP(topic, p, start.value) for p in partitions], 10.0)
    except KafkaException as e:
        raise BrokerQueryError(f"offsets of {topic} at --from time not found: {e}") from e
    return [TP(topic, tp.partition, marks[(topic, tp.partition)][1] if tp.offset < 0 else tp.offset)
            for tp in found]  # fmt: skip


def _records(
    consumer: Consumer, decoder: RecordDecoder, request: ConsumeRequest, pending: set[int]
) -> Iterator[ConsumedRecord]:
    """Records until every partition reached its end (or forever when following)."""
    # offsets_for_times on the embedded broker answers a batch's start: skip what precedes TIME
    early = set(pending) if request.start.kind == "time" else set()
    taken = 0
    while request.follow or pending:
        for message in consumer.consume(500, 0.5):
            partition = int(message.partition() or 0)
            error = message.error()
            if error is not None:
                if _at_end(error, request.topic, partition):
                    pending.discard(partition)
                continue
            if partition in early:
                if _timestamp_ms(message) < request.start.value:
                    continue
                early.discard(partition)
            yield _view(message, decoder)
            taken += 1
            if request.limit is not None and taken >= request.limit:
                return


def _at_end(error: KafkaError, topic: str, partition: int) -> bool:
    """True for an end-of-partition event; another error stops the read unless retriable."""
    if error.code() == KafkaError._PARTITION_EOF:
        return True
    if error.retriable() and not error.fatal():
        log.warning("read error, retrying", extra={"topic": topic, "error": error.str()})
        return False
    raise InspectError(f"reading {topic}[{partition}] failed: {error.str()}")


def _timestamp_ms(message: Message) -> int:
    kind, value = message.timestamp()
    return int(value) if kind != 0 else -1  # 0: TIMESTAMP_NOT_AVAILABLE


def _view(message: Message, decoder: RecordDecoder) -> ConsumedRecord:
    stamp = _timestamp_ms(message)
    headers: dict[str, Any] = {}
    found = message.headers() or []
    for name, data in found.items() if isinstance(found, dict) else found:
        value = text_or_base64(data)
        previous = headers.get(name)
        headers[name] = value if name not in headers else [*_listed(previous), value]
    return ConsumedRecord(
        partition=int(message.partition() or 0),
        offset=int(message.offset() or 0),
        timestamp=iso_ms(stamp) if stamp >= 0 else None,
        key=decoder.show(message.key()),
        headers=headers,
        value=decoder.show(message.value()),
    )


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
