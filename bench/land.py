"""Rows/s of the land job (and of validated produce) beside ceilings measured in the same run.

    .venv/bin/python -m bench.land [--events 100000]

Starts its own embedded broker and registry; lands N clicks (consume, decode, Arrow, one
Iceberg commit with the offsets) and compares, on the same topic in the same run, with a bare
consume that decodes nothing (the ceiling) and a naive consume + fastavro decode per message.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from producers.config import ProducerConfig
from producers.deserializer import AvroDeserializer
from producers.generators.clicks import clicks
from producers.generators.clock import EventClock
from producers.publisher import PublisherConfig, build_publisher
from producers.registry_client import RegistryClient
from producers.serializer import AvroSerializer
from producers.topics import TopicSpec, ensure_topics
from schemas.loader import load
from tide.ops.lake import land_topic
from tide.settings import KafkaSettings, RegistrySettings, TideSettings
from tide.stack.local import BrokerKind, LocalStack


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def raw_produce(bootstrap: str, topic: str, messages: list[tuple[str, bytes]]) -> None:
    producer = Producer(ProducerConfig(bootstrap).librdkafka())
    for key, value in messages:
        while True:
            try:
                producer.produce(topic, value, key.encode())
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    producer.flush(60)


def consume(bootstrap: str, topic: str, partitions: int, handle: Callable[[bytes], object]) -> int:
    """Read ``topic`` to its end, handing each value to ``handle``; the number of values."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "bench", "enable.partition.eof": True}
    )
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    pending, count = set(range(partitions)), 0
    while pending:
        for message in consumer.consume(5000, timeout=1.0):
            if message.error() is not None:
                pending.discard(message.partition() or 0)
                continue
            handle(message.value() or b"")
            count += 1
    consumer.close()
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--broker", choices=["tansu", "kafka", "both"], default="tansu")
    args = parser.parse_args()
    kinds: list[BrokerKind] = ["tansu", "kafka"] if args.broker == "both" else [args.broker]
    for kind in kinds:
        run(kind, args.events, args.partitions)


def run(kind: BrokerKind, n: int, partitions: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, LocalStack(Path(tmp), broker_kind=kind) as stack:
        bs = stack.bootstrap_servers
        settings = TideSettings(data_dir=Path(tmp), kafka=KafkaSettings(bootstrap_servers=bs),
                                registry=RegistrySettings(url=stack.registry_url))  # fmt: skip
        ensure_topics(bs, [TopicSpec(t, partitions) for t in ("clicks", "raw")])
        contract = load("clicks")
        registry = RegistryClient(stack.registry_url)
        serializer = AvroSerializer(registry, contract.subject, contract.schema_str)
        events = list(clicks(n, EventClock.spanning(n, 600), seed=1))
        encoded = [(key, serializer.encode(event)) for key, event in events]

        raw_s = timed(lambda: raw_produce(bs, "raw", encoded))
        publisher = build_publisher(
            PublisherConfig(ProducerConfig(bs), Path(tmp) / "outbox.sqlite"),
            registry, {"clicks": (contract.subject, contract.schema_str)},
        )  # fmt: skip

        def publish_all() -> None:
            for key, event in events:
                publisher.send("clicks", key, event)
            publisher.flush()

        ours_s = timed(publish_all)
        publisher.close()
        decoder = AvroDeserializer(registry)
        bare_s = timed(lambda: consume(bs, "clicks", partitions, len))
        naive_s = timed(lambda: consume(bs, "clicks", partitions, decoder.decode))
        land_s = timed(lambda: land_topic(settings, "clicks"))
        registry.close()

    print(f"{n} click events, {partitions} partitions, broker {kind}")
    print(f"{'figure':<38}{'value':>12}  {'baseline (same run)':<28}{'value':>12}{'ratio':>8}")
    name, base_name = "produce events/s (validated Avro)", "raw produce of same bytes"
    print(f"{name:<38}{n / ours_s:>12,.0f}  {base_name:<28}{n / raw_s:>12,.0f}"
          f"{raw_s / ours_s:>8.2f}")  # fmt: skip
    print(f"{'landing, same topic':<38}{'rows/s':>12}{'x naive':>10}{'x raw':>8}")
    for name, seconds in [
        ("raw consume, no decode (ceiling)", bare_s),
        ("naive: consume + fastavro per message", naive_s),
        ("Tide land (decode+Arrow+Iceberg)", land_s),
    ]:
        print(f"{name:<38}{n / seconds:>12,.0f}{naive_s / seconds:>10.2f}{bare_s / seconds:>8.2f}")


if __name__ == "__main__":
    main()
