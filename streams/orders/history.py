"""An order as it was at a time T: its events up to T folded again (a temporal query).

The book of the order's partition keeps the offset of each of the order's events, so they are
read back from the topic by offset (a handful of fetches, not a scan). When the topic no longer
holds them (retention deleted the oldest), they come from the lake's landed table of the topic
instead, by order id. "At T" means by event time: the events that had happened by T, folded in
version order (so an event that arrived late but happened before T counts).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import Consumer, KafkaError, TopicPartition

from lake.query import QueryEngine
from producers.deserializer import AvroDeserializer
from streams.errors import StreamError
from streams.orders.aggregate import NS, Fold, OrderState
from streams.orders.routing import partition_for
from streams.projections.worker import ProjectionWorker

LakeOpener = Callable[[], QueryEngine]
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class HistoryUnavailableError(StreamError):
    """The order's events are neither in the topic nor in the lake (HTTP 410)."""


def state_as_of(order_id: str, events: list[dict[str, Any]], as_of: datetime) -> OrderState:
    """The fold of the events of ``order_id`` that happened by ``as_of``."""
    fold = Fold(OrderState(order_id))
    for event in sorted(events, key=lambda e: (int(e.get("version") or 0), e["event_time"])):
        if event["event_time"] <= as_of:
            fold.add(event)
    return fold.state


def from_topic(
    bootstrap_servers: str, topic: str, partition: int, offsets: list[int],
    decoder: AvroDeserializer, timeout_s: float = 10.0,
) -> list[dict[str, Any]] | None:  # fmt: skip
    """The events at ``offsets`` of ``topic[partition]``; None when the oldest is gone."""
    consumer = Consumer({"bootstrap.servers": bootstrap_servers,
                         "group.id": f"tide-history-{uuid.uuid4().hex}",  # never joined
                         "enable.auto.commit": False, "log_level": 0})  # fmt: skip
    try:
        low, _ = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout_s)
        if offsets and min(offsets) < low:
            return None
        events = []
        for offset in sorted(set(offsets)):
            consumer.assign([TopicPartition(topic, partition, offset)])
            message = consumer.poll(timeout_s)
            if message is None or message.error() is not None:
                error = None if message is None else message.error()
                if error is not None and error.code() == KafkaError.OFFSET_OUT_OF_RANGE:
                    return None
                raise HistoryUnavailableError(
                    f"cannot read {topic}[{partition}] at offset {offset}: "
                    f"{'no answer' if error is None else error.str()}"
                )
            events.append(decoder.decode(message.value() or b""))
        return events
    finally:
        consumer.close()


def from_lake(engine: QueryEngine, table: str, order_id: str) -> list[dict[str, Any]]:
    """The order's events as landed in the lake table ``table`` (the topic's name)."""
    if not _SAFE_NAME.match(table) or table not in engine.tables():
        raise HistoryUnavailableError(
            f"the topic no longer holds the events of order {order_id} and the lake has no "
            f"table {table!r} (land it: tide jobs submit land --topic {table})"
        )
    quoted = order_id.replace("'", "''")
    rows = engine.query(f"SELECT * FROM \"{table}\" WHERE order_id = '{quoted}'").to_pylist()  # noqa: S608
    return [_event_of(row) for row in rows]


def _event_of(row: dict[str, Any]) -> dict[str, Any]:
    """A landed row as the decoder gives an event: the payload struct's one set branch becomes
    the ``(record name, body)`` union value."""
    branches = row.get("payload") or {}
    name, body = next(((k, v) for k, v in branches.items() if v is not None), (None, None))
    if name is None:
        raise HistoryUnavailableError(f"a landed event of order {row.get('order_id')} has no "
                                      "payload")  # fmt: skip
    return {**row, "event_id": str(row["event_id"]), "payload": (NS + name, body)}


def parse_time(text: str, what: str = "as_of") -> datetime:
    """An ISO 8601 time (UTC unless it says otherwise); ValueError naming ``what`` is wrong."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{what} {text!r} is not an ISO 8601 time (e.g. 2026-12-01T10:00:00Z)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class OrderHistory:
    """Temporal queries over the orders of the partitions a member's books hold."""

    def __init__(self, worker: ProjectionWorker, decoder: AvroDeserializer,
                 lake: LakeOpener | None = None) -> None:  # fmt: skip
        self._worker = worker
        self._decoder = decoder
        self._lake = lake
        self._engine: QueryEngine | None = None
        self.from_lake = 0  # temporal queries answered from the lake (the topic had lost them)

    def state(self, order_id: str, as_of: datetime) -> OrderState | None:
        """The order at ``as_of``; None when this member does not hold its partition."""
        s = self._worker.settings
        p = partition_for(order_id, self._worker.partitions)
        with self._worker.lock:
            book = self._worker.books.get(p)
            if book is None:
                return None
            offsets = list(book.offsets.get(order_id, ()))
        events = None
        if offsets:
            events = from_topic(s.bootstrap_servers, s.source, p, offsets, self._decoder)
        if events is None:
            events = from_lake(self._open_lake(order_id), s.source, order_id)
            self.from_lake += 1
        return state_as_of(order_id, events, as_of)

    def _open_lake(self, order_id: str) -> QueryEngine:
        if self._lake is None:
            raise HistoryUnavailableError(f"the topic no longer holds the events of order "
                                          f"{order_id}, and no lake is configured")  # fmt: skip
        if self._engine is None:
            self._engine = self._lake()
        return self._engine
