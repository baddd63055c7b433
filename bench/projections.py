"""CQRS, measured: read models applied per worker, reads from them against rebuilding the same
answer from the event log per request, and the command side's throughput — in one run.

    .venv/bin/python -m bench.projections [--events 100000] [--broker tansu|kafka|both]

On each broker: a backlog of N order events (4 partitions) is folded by one `tide projections
serve` (events/s from the first event applied to the last); then `GET /orders/{id}` under
concurrent clients (p50/p99) beside the baseline — the same answer rebuilt per request by reading
the order's partition from the log and folding its events; then `tide orders serve` takes
`POST /orders` from concurrent clients (commands/s, p50/p99; every event acknowledged by the
broker, acks=all, before the answer).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from confluent_kafka import Consumer, KafkaError, TopicPartition

from bench.land import raw_produce
from bench.windows import stack
from producers.deserializer import AvroDeserializer
from producers.generators.clock import EventClock
from producers.generators.orders import orders
from producers.registry_client import RegistryClient
from producers.serializer import AvroSerializer
from producers.topics import TopicSpec, ensure_topics
from schemas.loader import load
from streams.orders.aggregate import Fold, OrderState
from streams.orders.routing import partition_for
from streams.projections.read_models import order_summary
from tide.stack.local import BrokerKind
from tide.stack.ports import free_port

PARTITIONS = 4


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


@contextmanager
def member(kind: str, bs: str, registry_url: str, topic: str, root: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "TIDE_KAFKA__BOOTSTRAP_SERVERS": bs, "TIDE_REGISTRY__URL": registry_url,
           "TIDE_DATA_DIR": str(root), "TIDE_LOG_LEVEL": "WARNING"}  # fmt: skip
    tide = Path(sys.executable).with_name("tide")
    command = [str(tide), kind, "serve", "--port", str(port), "--topic", topic]
    log = (root / f"{kind}.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/metrics", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        process.kill()
        process.wait(10)
        log.close()


def applied(url: str) -> int:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    return sum(int(line.split()[-1]) for line in text.splitlines()
               if line.startswith("tide_projection_events_applied_total{"))  # fmt: skip


def apply_rate(url: str, expected: int) -> float:
    first = 0.0
    deadline = time.monotonic() + 600
    while (done := applied(url)) < expected:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the projection applied {done} of {expected} events in 600 s")
        if done and not first:
            first = time.perf_counter()
        time.sleep(0.02)
    return expected / (time.perf_counter() - (first or time.perf_counter() - 1e-9))


def load_test(call: Callable[[httpx.Client, int], None], clients: int, seconds: float
              ) -> tuple[float, float, float]:  # fmt: skip
    """(requests/s, p50 ms, p99 ms) of ``call`` from ``clients`` threads for ``seconds``."""
    samples: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        mine = []
        with httpx.Client(timeout=30) as http:
            i = 0
            while time.monotonic() < stop:
                t = time.perf_counter()
                call(http, n * 1_000_000 + i)
                mine.append(time.perf_counter() - t)
                i += 1
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    p50, p99 = percentiles(samples)
    return len(samples) / seconds, p50, p99


def from_the_log(
    bs: str, topic: str, decoder: AvroDeserializer, order_id: str
) -> dict[str, object]:
    """The baseline: the order's answer rebuilt from its partition, read from offset 0."""
    p = partition_for(order_id, PARTITIONS)
    consumer = Consumer({"bootstrap.servers": bs, "group.id": uuid.uuid4().hex,
                         "enable.partition.eof": True, "log_level": 0})  # fmt: skip
    consumer.assign([TopicPartition(topic, p, 0)])
    fold = Fold(OrderState(order_id))
    try:
        while True:
            batch = consumer.consume(5000, timeout=0.2)
            for m in batch:
                error = m.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        return order_summary(fold.state)
                    continue
                if m.key() == order_id.encode():
                    fold.add(decoder.decode(m.value() or b""))
    finally:
        consumer.close()


def run(kind: BrokerKind, n: int, clients: int, seconds: float) -> None:
    with stack(kind) as (bs, registry_url, root):
        topic = f"orders_{uuid.uuid4().hex[:6]}"
        ensure_topics(bs, [TopicSpec(topic, PARTITIONS)])
        registry = RegistryClient(registry_url)
        serializer = AvroSerializer(registry, f"{topic}-value", load("orders").schema_str)
        events = list(orders(n, EventClock.spanning(n, 3600), seed=1, customers=5000))
        raw_produce(bs, topic, [(k, serializer.encode(e)) for k, e in events])
        keys = sorted({k for k, _ in events})
        decoder = AvroDeserializer(registry)
        print(f"[{kind}] {n:,} order events, {len(keys):,} orders, {PARTITIONS} partitions")
        with member("projections", bs, registry_url, topic, root) as url:
            rate = apply_rate(url, n)
            print(f"[{kind}] projections: {rate:,.0f} events/s applied by one worker")
            rng = random.Random(7)

            def read(http: httpx.Client, i: int) -> None:
                answer = http.get(f"{url}/orders/{rng.choice(keys)}")
                if answer.status_code != 200:
                    raise RuntimeError(f"GET /orders answered {answer.status_code}: {answer.text}")

            rps, p50, p99 = load_test(read, clients, seconds)
            print(f"[{kind}] GET /orders/{{id}} from the read model, {clients} clients: "
                  f"{rps:,.0f} req/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms")  # fmt: skip
            base = []
            for key in rng.sample(keys, 20):
                t = time.perf_counter()
                from_the_log(bs, topic, decoder, key)
                base.append(time.perf_counter() - t)
            b50, b99 = percentiles(base)
            print(f"[{kind}] baseline, the answer rebuilt from the log per request (20 requests):"
                  f" p50 {b50:.1f} ms, p99 {b99:.1f} ms")  # fmt: skip
        commands = f"orders_cmd_{uuid.uuid4().hex[:6]}"
        ensure_topics(bs, [TopicSpec(commands, PARTITIONS)])
        with member("orders", bs, registry_url, commands, root) as url:
            body = {"customer_id": "c1", "region": "eu",
                    "items": [{"sku": "S", "quantity": 1, "unit_price_cents": 100}]}  # fmt: skip

            def place(http: httpx.Client, i: int) -> None:
                key = {"Idempotency-Key": f"b{i}"}
                answer = http.post(f"{url}/orders", json=body, headers=key)
                if answer.status_code != 201:
                    raise RuntimeError(f"POST /orders answered {answer.status_code}: {answer.text}")

            place(httpx.Client(timeout=60), -1)  # the first waits for the group's assignment
            cps, c50, c99 = load_test(place, clients, seconds)
            print(f"[{kind}] POST /orders, {clients} clients, acks=all: {cps:,.0f} commands/s, "
                  f"p50 {c50:.2f} ms, p99 {c99:.2f} ms")  # fmt: skip
        registry.close()


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stops its child services too
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--broker", choices=["tansu", "kafka", "both"], default="tansu")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    kinds: list[BrokerKind] = ["tansu", "kafka"] if args.broker == "both" else [args.broker]
    for kind in kinds:
        run(kind, args.events, args.clients, args.seconds)


if __name__ == "__main__":
    main()
