"""Kafka transactions for a job runner, offered only where the broker really supports them.

With ``exactly_once`` every checkpoint interval is one transaction: the outputs, the reports,
the checkpoints and the source offsets commit together or not at all, so a ``read_committed``
consumer sees each final record exactly once, not just "once per key, re-emitted identically".
Tide's own correctness never depends on it. A broker that cannot abort transactions would
make the promise false — the embedded broker shows aborted records to ``read_committed``
readers — so before a worker uses transactions it checks: it aborts a probe record and must
not be able to read it back.
"""

from __future__ import annotations

import time
import uuid

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)

from producers.topics import TopicSpec, ensure_topics
from streams.errors import StreamError

PROBE_TOPIC = "_tide_transaction_probe"


class TransactionsUnsupportedError(StreamError):
    """The broker does not support transactions as exactly-once processing needs them."""


def check_transactions(bootstrap_servers: str, timeout_s: float = 30.0) -> None:
    """Raise unless the broker filters an aborted record out of a read_committed read."""
    ensure_topics(bootstrap_servers, [TopicSpec(PROBE_TOPIC, 1)])
    marker = uuid.uuid4().hex.encode()
    producer = Producer(
        {
            "bootstrap.servers": bootstrap_servers,
            "log_level": 0,
            "transactional.id": f"tide-probe-{marker.decode()}",
        }
    )
    try:
        producer.init_transactions(timeout_s)
        producer.begin_transaction()
        producer.produce(PROBE_TOPIC, marker, partition=0)
        producer.flush(timeout_s)  # written to the log first: an abort would otherwise purge it
        producer.abort_transaction(timeout_s)
    except KafkaException as e:
        raise TransactionsUnsupportedError(
            f"exactly_once needs broker transactions, and {bootstrap_servers} refused them "
            f"({e.args[0].str()}); run without it, or on Apache Kafka (`tide up --broker kafka`)"
        ) from e
    if _visible(bootstrap_servers, marker, timeout_s):
        raise TransactionsUnsupportedError(
            f"exactly_once refused: {bootstrap_servers} shows aborted records to read_committed "
            "consumers (the embedded broker does); without it Tide still gives one identical "
            "final record per key and window. Use Apache Kafka (`tide up --broker kafka`)."
        )


def _visible(bootstrap_servers: str, marker: bytes, timeout_s: float) -> bool:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "log_level": 0,
            "group.id": f"tide-probe-{uuid.uuid4().hex}",
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
        }
    )
    consumer.assign([TopicPartition(PROBE_TOPIC, 0, OFFSET_BEGINNING)])
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            for m in consumer.consume(1000, timeout=0.5):
                error = m.error()
                if error is None and m.value() == marker:
                    return True
                if error is not None and error.code() == KafkaError._PARTITION_EOF:
                    return False
        raise TransactionsUnsupportedError(f"could not read {PROBE_TOPIC} to its end")
    finally:
        consumer.close()
