"""Events/s of the three write paths, beside the raw ceiling measured in the same run.

    .venv/bin/python bench/produce.py [--events 50000]

- raw: confluent-kafka produce of pre-encoded bytes (acks=all, idempotent): the ceiling;
- validated: our Publisher (fastavro validate + encode + produce, delivery tracked);
- outbox: the same events while the broker circuit is open (each one fsync'd to SQLite).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.land import raw_produce
from producers.config import ProducerConfig
from producers.generators.clicks import clicks
from producers.generators.clock import EventClock
from producers.publisher import PublisherConfig, build_publisher
from producers.registry_client import RegistryClient
from producers.serializer import AvroSerializer
from producers.topics import TopicSpec, ensure_topics
from schemas.loader import load
from tide.stack.local import BrokerKind, LocalStack


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--broker", choices=["tansu", "kafka", "both"], default="tansu")
    args = parser.parse_args()
    kinds: list[BrokerKind] = ["tansu", "kafka"] if args.broker == "both" else [args.broker]
    for kind in kinds:
        run(kind, args.events)


def run(kind: BrokerKind, n: int) -> None:
    contract = load("clicks")
    with tempfile.TemporaryDirectory() as tmp, LocalStack(Path(tmp), broker_kind=kind) as stack:
        bs = stack.bootstrap_servers
        ensure_topics(bs, [TopicSpec(t, 4) for t in ("clicks", "raw")])
        registry = RegistryClient(stack.registry_url)
        events = list(clicks(n, EventClock.spanning(n, 600), seed=1))
        serializer = AvroSerializer(registry, contract.subject, contract.schema_str)
        encoded = [(k, serializer.encode(e)) for k, e in events]
        contracts = {"clicks": (contract.subject, contract.schema_str)}
        figures = {}
        started = time.perf_counter()
        raw_produce(bs, "raw", encoded)
        figures["raw"] = n / (time.perf_counter() - started)
        for path in ("validated", "outbox"):
            config = PublisherConfig(ProducerConfig(bs), Path(tmp) / f"{path}.sqlite")
            publisher = build_publisher(config, registry, contracts)
            if path == "outbox":
                publisher.broker_breaker.trip()  # as during an outage: everything is kept
            started = time.perf_counter()
            for key, event in events:
                publisher.send("clicks", key, event)
            if path == "validated":
                publisher.flush()  # every delivery report in (the outbox path sends nothing)
            figures[path] = n / (time.perf_counter() - started)
            publisher.close()
        registry.close()
    print(f"{n} click events, 4 partitions, broker {kind}, one process")
    print(f"{'path':<12}{'events/s':>12}{'x raw':>8}")
    for path, rate in figures.items():
        print(f"{path:<12}{rate:>12,.0f}{rate / figures['raw']:>8.2f}")


if __name__ == "__main__":
    main()
