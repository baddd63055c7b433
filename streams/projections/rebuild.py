"""Rebuild by replay: a partition's read models folded again from the topic's first offset, next
to the live ones, compared with them at the same offset and swapped in — without downtime.

The live book goes on folding and answering while the fresh one reads from offset 0 with a
consumer of its own. Once the fresh book has read as far as the live one (checked under the
worker's lock), the two cover the same events: they are compared model by model (every order's
summary, every customer's view) and the fresh one takes the live one's place. The live one moves
on while the fresh one catches up, so the catching-up repeats until they meet; a partition the
worker lets go meanwhile is left alone. Both models of a partition (``order_summary`` and
``customer_orders``) live in one book: rebuilding either rebuilds the book.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaError, TopicPartition

from producers.deserializer import AvroDeserializer
from producers.errors import WireFormatError
from streams.errors import StreamError
from streams.projections.book import PartitionBook
from streams.projections.read_models import order_summary
from streams.projections.worker import ProjectionWorker

log = logging.getLogger(__name__)
MODELS = ("order_summary", "customer_orders")


class RebuildError(StreamError):
    """A rebuild that could not finish (the partition could not be read in time)."""


@dataclass(frozen=True)
class Rebuilt:
    partition: int
    events: int  # read from offset 0 to where the swap happened
    next_offset: int
    orders: int
    customers: int
    differences: list[str]  # what the live models had differently (empty: they were equal)
    swapped: bool  # False: the partition was let go during the rebuild

    def answer(self) -> dict[str, Any]:
        return {"partition": self.partition, "events": self.events,
                "next_offset": self.next_offset, "orders": self.orders,
                "customers": self.customers, "differences": self.differences[:20],
                "different": len(self.differences), "swapped": self.swapped}  # fmt: skip


def differences(live: PartitionBook, fresh: PartitionBook) -> list[str]:
    """Where the models of ``live`` differ from those of ``fresh`` (same offset), by key."""
    out = []
    for order_id in sorted(set(live.folds) | set(fresh.folds)):
        a, b = live.folds.get(order_id), fresh.folds.get(order_id)
        if a is None or b is None or order_summary(a.state) != order_summary(b.state):
            out.append(f"order_summary {order_id}")
    for who in sorted(set(live.customers) | set(fresh.customers)):
        c, d = live.customers.get(who), fresh.customers.get(who)
        if c is None or d is None or c.view() != d.view():
            out.append(f"customer_orders {who}")
    return out


def rebuild(
    worker: ProjectionWorker, partition: int, decoder: AvroDeserializer, timeout_s: float = 300.0
) -> Rebuilt:
    """Fold ``partition`` again from offset 0, compare with the live book, swap it in."""
    s = worker.settings
    fresh = PartitionBook(partition)
    consumer = Consumer({"bootstrap.servers": s.bootstrap_servers,
                         "group.id": f"tide-rebuild-{uuid.uuid4().hex}",  # never joined
                         "enable.auto.commit": False, "enable.partition.eof": True,
                         "log_level": 0})  # fmt: skip
    consumer.assign([TopicPartition(s.source, partition, 0)])
    deadline = time.monotonic() + timeout_s
    events = 0
    try:
        while True:
            with worker.lock:
                live = worker.books.get(partition)
                if live is None:
                    return Rebuilt(partition, events, fresh.next_offset or 0, len(fresh.folds),
                                   len(fresh.customers), [], swapped=False)  # fmt: skip
                target = live.next_offset or 0
                if (fresh.next_offset or 0) == target:
                    found = differences(live, fresh)
                    fresh.applied = live.applied
                    fresh.next_offset = live.next_offset
                    worker.books[partition] = fresh
                    extra = {"partition": partition, "events": events, "differences": len(found)}
                    log.info("read models rebuilt", extra=extra)
                    return Rebuilt(partition, events, target, len(fresh.folds),
                                   len(fresh.customers), found, swapped=True)  # fmt: skip
            if time.monotonic() >= deadline:
                raise RebuildError(f"partition {partition}: not caught up with the live models "
                                   f"in {timeout_s:g} s")  # fmt: skip
            events += _read(consumer, decoder, fresh, target)
    finally:
        consumer.close()


def _read(consumer: Consumer, decoder: AvroDeserializer, book: PartitionBook, upto: int) -> int:
    """Fold what the consumer has, up to offset ``upto`` (exclusive); the number of records."""
    read = 0
    for message in consumer.consume(2000, timeout=0.2):
        error = message.error()
        if error is not None:
            if error.code() != KafkaError._PARTITION_EOF:
                raise RebuildError(f"cannot read partition {message.partition()}: {error.str()}")
            continue
        offset = message.offset() or 0
        if offset >= upto:
            consumer.seek(TopicPartition(message.topic() or "", message.partition() or 0, offset))
            break
        read += 1
        try:
            book.add(decoder.decode(message.value() or b""), offset)
        except WireFormatError:
            book.next_offset = offset + 1  # the live book reads past it too
    return read
