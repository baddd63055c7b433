"""The ``order_summary`` changelog: the order's summary after each change, as a record of the
topic ``order_summary`` (keyed by order id), for the land job to bring into the lake for SQL.

A record is produced when an event really moved an order (duplicates and early events make none;
an early event's gap filled moves several versions at once, and the record has the newest),
through the projection worker's own idempotent producer, so the checkpoint's flush also confirms
every record of the events it covers. After a crash the events after the checkpoint are folded
again and their records produced again, identical: the changelog is at least once, and
``(order_id, version)`` names a record — in SQL, the newest version of an order is its current
summary::

    SELECT * FROM order_summary QUALIFY row_number() OVER
        (PARTITION BY order_id ORDER BY version DESC) = 1
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from confluent_kafka import Producer

from producers.serializer import AvroSerializer
from streams.orders.aggregate import OrderState
from streams.projections.read_models import order_summary


def summary_record(state: OrderState) -> dict[str, Any]:
    """``state``'s summary as an ``order_summary`` record."""
    summary = order_summary(state)
    times = {f"{s.lower()}_at": _time(state.at.get(s)) for s in ("PLACED", "PAID", "SHIPPED",
                                                                 "CANCELLED")}  # fmt: skip
    changed = _time(state.at.get(state.status.value)) or max(t for t in times.values() if t)
    return {**summary, **times, "event_time": changed}


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


class SummaryChangelog:
    def __init__(self, producer: Producer, serializer: AvroSerializer, topic: str) -> None:
        self._producer = producer
        self._serializer = serializer
        self.topic = topic
        self.produced = 0

    def emit(self, state: OrderState) -> None:
        value = self._serializer.encode(summary_record(state))
        while True:
            try:
                self._producer.produce(self.topic, value, state.order_id.encode())
                break
            except BufferError:  # the client's queue is full: let it deliver some first
                self._producer.poll(0.1)
        self.produced += 1
