"""Freshness of continuous landing: the time from an event's produce to its row being visible to
`tide sql`, on a live stream at a steady rate, beside the broker's own produce → consume
latency measured in the same run (what no sink can beat).

    .venv/bin/python -m bench.freshness [--rate 500] [--seconds 30] [--commit-every 5]

Starts its own embedded broker (or Kafka) and registry, a continuous land job
(`--follow --commit-every`) in this process, a consumer timing each event's arrival, and a
reader asking the lake every --poll seconds which events it shows (its interval bounds the
error of each visible time). Prints p50/p99/max of both latencies.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from producers.config import ProducerConfig
from producers.deserializer import AvroDeserializer
from producers.generators.clicks import clicks
from producers.generators.clock import EventClock
from producers.registry_client import RegistryClient
from producers.serializer import AvroSerializer
from producers.topics import TopicSpec, ensure_topics
from schemas.loader import load
from tide.errors import TideError
from tide.ops.lake import Follow, land_topic, query_engine
from tide.settings import KafkaSettings, RegistrySettings, TideSettings
from tide.stack.local import BrokerKind, LocalStack

PARTITIONS = 4


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=500, help="events per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to produce")
    parser.add_argument("--commit-every", type=float, default=5.0)
    parser.add_argument("--poll", type=float, default=0.25, help="lake read interval, s")
    parser.add_argument("--broker", choices=["tansu", "kafka", "both"], default="tansu")
    args = parser.parse_args()
    kinds: list[BrokerKind] = ["tansu", "kafka"] if args.broker == "both" else [args.broker]
    for kind in kinds:
        run(kind, args.rate, args.seconds, args.commit_every, args.poll)


def run(kind: BrokerKind, rate: int, seconds: float, commit_every: float, poll: float) -> None:
    n = int(rate * seconds)
    with tempfile.TemporaryDirectory() as tmp, LocalStack(Path(tmp), broker_kind=kind) as stack:
        bs = stack.bootstrap_servers
        settings = TideSettings(data_dir=Path(tmp), kafka=KafkaSettings(bootstrap_servers=bs),
                                registry=RegistrySettings(url=stack.registry_url))  # fmt: skip
        ensure_topics(bs, [TopicSpec("clicks", PARTITIONS)])
        contract = load("clicks")
        registry = RegistryClient(stack.registry_url)
        serializer = AvroSerializer(registry, contract.subject, contract.schema_str)
        events = [(key, str(e["event_id"]), serializer.encode(e))
                  for key, e in clicks(n, EventClock.spanning(n, seconds), seed=7)]  # fmt: skip
        produced: dict[str, float] = {}
        consumed: dict[str, float] = {}
        visible: dict[str, float] = {}
        stop = threading.Event()
        done = threading.Event()
        threads = [
            threading.Thread(target=land_topic, args=(settings, "clicks"),
                             kwargs={"follow": Follow(stop, commit_every)}),
            threading.Thread(target=_consume, args=(bs, registry, consumed, done)),
            threading.Thread(target=_watch_lake, args=(settings, visible, done, poll)),
        ]  # fmt: skip
        for t in threads:
            t.start()
        time.sleep(2.0)  # warm-up: the land job and the consumer join before the first event
        _produce(bs, events, rate, produced)
        deadline = time.monotonic() + commit_every * 4 + 30
        while len(visible) < n and time.monotonic() < deadline:
            time.sleep(0.5)  # waiting for the last commit; a report, not a synchronisation
        done.set()
        stop.set()
        for t in threads:
            t.join(60)
        registry.close()
    _report(kind, n, rate, commit_every, poll, produced, consumed, visible)


def _produce(bs: str, events: list[tuple[str, str, bytes]], rate: int,
             produced: dict[str, float]) -> None:  # fmt: skip
    """Each event at its slot of a steady ``rate``; its produce time as it is handed over."""
    producer = Producer(ProducerConfig(bs).librdkafka() | {"linger.ms": 5})
    start = time.monotonic()
    for i, (key, event_id, value) in enumerate(events):
        wait = start + i / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)  # pacing the workload
        produced[event_id] = time.time()
        producer.produce("clicks", value, key.encode())
        producer.poll(0)
    producer.flush(60)


def _consume(bs: str, registry: RegistryClient, seen: dict[str, float],
             done: threading.Event) -> None:  # fmt: skip
    """The broker's own latency: when a plain consumer first sees each event."""
    decoder = AvroDeserializer(registry)
    consumer = Consumer({"bootstrap.servers": bs, "group.id": "bench-freshness",
                         "fetch.wait.max.ms": 10, "log_level": 0})  # fmt: skip
    consumer.assign([TopicPartition("clicks", p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    while not done.is_set():
        for message in consumer.consume(1000, timeout=0.1):
            if message.error() is None:
                now = time.time()
                seen.setdefault(str(decoder.decode(message.value() or b"")["event_id"]), now)
    consumer.close()


def _watch_lake(settings: TideSettings, seen: dict[str, float], done: threading.Event,
                poll: float) -> None:  # fmt: skip
    """When each event is first visible to a `tide sql` query of the lake."""
    while not done.is_set():
        engine = query_engine(settings)
        try:
            rows = engine.query("SELECT event_id FROM clicks").column("event_id").to_pylist()
        except TideError:  # no table before the first commit
            rows = []
        finally:
            engine.close()
        now = time.time()
        for event_id in rows:
            seen.setdefault(event_id, now)
        done.wait(poll)


def _report(kind: str, n: int, rate: int, commit_every: float, poll: float,
            produced: dict[str, float], consumed: dict[str, float],
            visible: dict[str, float]) -> None:  # fmt: skip
    print(f"freshness: {n} click events at {rate}/s, {PARTITIONS} partitions, broker {kind}, "
          f"--commit-every {commit_every:g}s, lake read every {poll:g}s")  # fmt: skip
    print(f"{'latency (s)':<44}{'p50':>8}{'p99':>8}{'max':>8}{'seen':>8}")
    for name, seen in [("baseline: produce -> plain consumer sees it", consumed),
                       ("produce -> row visible to `tide sql`", visible)]:  # fmt: skip
        lags = sorted(seen[e] - produced[e] for e in seen if e in produced)
        if not lags:
            print(f"{name:<44}{'—':>8}{'—':>8}{'—':>8}{0:>8}")
            continue
        q = statistics.quantiles(lags, n=100, method="inclusive")
        print(f"{name:<44}{q[49]:>8.2f}{q[98]:>8.2f}{lags[-1]:>8.2f}{len(lags):>8}")


if __name__ == "__main__":
    main()
