"""Window-job throughput and emit lag beside Faust and the raw consumer, in one run.

    .venv/bin/python -m bench.windows [--events 200000] [--broker tansu|kafka|both]

On each broker, a backlog of N clicks (4 partitions) is read by: (1) a bare confluent-kafka
consumer (no decode: the ceiling), (2) a Faust agent that only counts (Faust's ceiling), (3) the
naive baseline — a per-event Faust agent decoding each click into a windowed Table, and (4)
Tide's window job (clicks per page per minute). Each figure is events/s from the first event to
the last. Then emit lag on a live stream at a steady rate (event time = wall clock, 1 s windows,
no lateness): the time a final record is received minus its window's end + lateness.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from bench.land import raw_produce
from producers.config import ProducerConfig
from producers.deserializer import AvroDeserializer
from producers.generators.clicks import clicks
from producers.generators.clock import EventClock
from producers.registry_client import RegistryClient
from producers.serializer import AvroSerializer
from producers.topics import TopicSpec, ensure_topics
from schemas.loader import load
from streams import metrics
from streams.jobs.base import AggKind, Aggregation, Timing, WindowJob
from streams.runner.loop import JobRunner
from streams.runner.settings import RunnerSettings
from tide.ops.schemas import sync_schemas
from tide.stack.local import BrokerKind, LocalStack

PARTITIONS = 4


@contextmanager
def stack(kind: BrokerKind) -> Iterator[tuple[str, str, Path]]:
    with tempfile.TemporaryDirectory() as tmp, LocalStack(Path(tmp), broker_kind=kind) as s:
        sync_schemas(s.registry_url)
        yield s.bootstrap_servers, s.registry_url, Path(tmp)


def backlog(bs: str, registry_url: str, topic: str, n: int) -> None:
    ensure_topics(bs, [TopicSpec(topic, PARTITIONS)])
    with RegistryClient(registry_url) as registry:
        serializer = AvroSerializer(registry, f"{topic}-value", load("clicks").schema_str)
        events = clicks(n, EventClock.spanning(n, 600), seed=1)
        raw_produce(bs, topic, [(k, serializer.encode(e)) for k, e in events])


def raw_consume(bs: str, topic: str, n: int) -> float:
    consumer = Consumer({"bootstrap.servers": bs, "group.id": uuid.uuid4().hex, "log_level": 3})
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    seen, first = 0, 0.0
    while seen < n:
        batch = [m for m in consumer.consume(10_000, timeout=1.0) if m.error() is None]
        if batch and not first:
            first = time.perf_counter()
        seen += len(batch)
    elapsed = time.perf_counter() - first
    consumer.close()
    return n / elapsed


def faust(kind: str, bs: str, registry_url: str, topic: str, n: int) -> float:
    out = subprocess.run(  # noqa: S603 - our own module, our arguments
        [sys.executable, "-m", "bench.faust_baselines", kind, bs, registry_url, topic, str(n)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=True,
    )
    found = re.search(r"BENCH (\{.*\})", out.stdout)
    if found is None:
        raise RuntimeError(f"Faust {kind} baseline printed no figure: {out.stderr[-500:]}")
    result = json.loads(found.group(1))
    return float(result["events"] / result["seconds"])


def job(source: str, size_ms: int = 60_000, lateness_ms: int = 10_000) -> WindowJob:
    return WindowJob(
        f"bench_{uuid.uuid4().hex[:8]}",
        source,
        "event_time",
        "page",
        (Aggregation("clicks", AggKind.COUNT),),
        Timing(size_ms, lateness_ms),
    )


def tide(bs: str, registry_url: str, data_dir: Path, topic: str, n: int) -> tuple[float, int]:
    """Events/s of Tide's job on the backlog, and how many events it found late (expected: 0)."""
    spec = job(topic)
    stop = threading.Event()
    settings = RunnerSettings(bs, registry_url, data_dir, idle_timeout_s=2.0)
    runner = threading.Thread(target=JobRunner(spec, settings, stop).run, daemon=True)
    runner.start()

    def counted() -> float:
        return float(
            sum(metrics.EVENTS_IN.labels(spec.name, str(p))._value.get() for p in range(PARTITIONS))
        )

    while counted() == 0:
        time.sleep(0.005)  # sampling the counter: a measurement, not synchronization
    first = time.perf_counter()
    while counted() < n:
        time.sleep(0.005)
    elapsed = time.perf_counter() - first
    results = metrics.FINALS.labels(spec.name, "FINAL")._value
    seen = -1.0
    while results.get() != seen:  # until the last windows have fired (every partition idle)
        seen = results.get()
        time.sleep(3.0)
    stop.set()
    runner.join(60)
    return n / elapsed, int(metrics.LATE.labels(spec.name)._value.get())


def emit_lag(bs: str, registry_url: str, data_dir: Path, rate: int, seconds: float) -> list[float]:
    """Receive time minus (window end + lateness) of every final record on a live stream."""
    topic = f"live_{uuid.uuid4().hex[:6]}"
    ensure_topics(bs, [TopicSpec(topic, PARTITIONS)])
    spec = job(topic, size_ms=1_000, lateness_ms=0)
    stop = threading.Event()
    settings = RunnerSettings(bs, registry_url, data_dir, idle_timeout_s=5.0)
    threading.Thread(target=JobRunner(spec, settings, stop).run, daemon=True).start()
    lags: list[float] = []
    reader = threading.Thread(
        target=_read_lags, args=(bs, registry_url, spec, stop, lags), daemon=True
    )
    with RegistryClient(registry_url) as registry:
        serializer = AvroSerializer(registry, f"{topic}-value", load("clicks").schema_str)
        producer = Producer(ProducerConfig(bs).librdkafka())
        time.sleep(8)  # let the job join its groups before the live stream starts
        reader.start()
        began = time.monotonic()
        for i, (key, event) in enumerate(clicks(int(rate * seconds), EventClock.realtime(0.0))):
            producer.produce(
                topic, serializer.encode(event), key.encode(), partition=i % PARTITIONS
            )
            producer.poll(0)
            ahead = began + (i + 1) / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)  # steady rate
        producer.flush(30)
    time.sleep(3)  # the last windows fire once every partition passes them
    stop.set()
    reader.join(10)
    return lags[len(lags) // 10 :]  # the first tenth still includes the start-up


def _read_lags(
    bs: str, registry_url: str, spec: WindowJob, stop: threading.Event, lags: list[float]
) -> None:
    consumer = Consumer(
        {
            "bootstrap.servers": bs,
            "group.id": uuid.uuid4().hex,
            "log_level": 3,
            "fetch.wait.max.ms": 10,
        }
    )
    consumer.assign(
        [TopicPartition(spec.output_topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)]
    )
    decoder = AvroDeserializer(RegistryClient(registry_url))
    due = spec.timing.lateness_ms / 1000
    while not stop.is_set():
        for m in consumer.consume(1000, timeout=0.05):
            if m.error() is None:
                record = decoder.decode(m.value() or b"")
                lags.append(time.time() - record["window_end"].timestamp() - due)
    consumer.close()


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else float("nan")


def run(kind: BrokerKind, n: int, rate: int, seconds: float) -> None:
    with stack(kind) as (bs, registry_url, data_dir):
        backlog(bs, registry_url, "clicks", n)
        raw = raw_consume(bs, "clicks", n)
        ceiling = faust("count", bs, registry_url, "clicks", n)
        naive = faust("window", bs, registry_url, "clicks", n)
        ours, late = tide(bs, registry_url, data_dir, "clicks", n)
        lags = emit_lag(bs, registry_url, data_dir, rate, seconds)
    print(f"\n{n:,} clicks, {PARTITIONS} partitions, broker {kind}")
    print(f"{'path':<46}{'events/s':>10}{'x naive':>9}{'x faust':>9}{'x raw':>8}")
    for name, value in (
        ("raw consume, no decode (ceiling)", raw),
        ("Faust agent that only counts", ceiling),
        ("naive: Faust agent + windowed Table", naive),
        ("Tide window job (clicks per page per minute)", ours),
    ):
        print(
            f"{name:<46}{value:>10,.0f}{value / naive:>9.2f}{value / ceiling:>9.2f}"
            f"{value / raw:>8.2f}"
        )
    print(f"late events while Tide drained the backlog (2 s idle timeout): {late}")
    print(
        f"emit lag at {rate:,} events/s, 1 s windows ({len(lags)} finals): "
        f"p50 {percentile(lags, 50):.3f} s, p99 {percentile(lags, 99):.3f} s, "
        f"max {max(lags, default=float('nan')):.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--broker", choices=["tansu", "kafka", "both"], default="tansu")
    parser.add_argument("--rate", type=int, default=5_000, help="live stream events/s")
    parser.add_argument("--seconds", type=float, default=20.0, help="live stream length")
    args = parser.parse_args()
    kinds: list[BrokerKind] = ["tansu", "kafka"] if args.broker == "both" else [args.broker]
    for kind in kinds:
        run(kind, args.events, args.rate, args.seconds)


if __name__ == "__main__":
    main()
