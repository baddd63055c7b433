"""Registry operations/s and latency over HTTP, beside the same calls in-process, same run.

    .venv/bin/python -m bench.registry [--count 1500] [--evolutions 100]

- http: our registry server (`python -m registry`, SQLite in a temp dir) as a child process,
  driven by one keep-alive httpx client, one request at a time;
- in-process: the same calls on `registry.service.Registry` over a fresh SQLite database;
- kafka x3 (with `--kafka`): three registry instances sharing one Kafka-backed store (the
  compacted `_schemas` topic, replication 3) on a 3-node Apache Kafka, driven through one
  instance that is not the primary, so every write is forwarded to the primary and waits until
  the log has it back, as a client of any instance sees it.

Operations, in order: register N subjects with a record schema each; register E compatible
evolutions of one subject (each checked against the subject's earlier versions); read every
registered schema by id (GET /schemas/ids/{id}); look every one up under its subject by its
text (POST /subjects/{subject}).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx

from registry.ids import SchemaId, Subject
from registry.server import KafkaStoreOptions
from registry.service import Registry
from registry.storage.sqlite import SqliteSchemaStore
from tide.stack.kafka import KafkaCluster
from tide.stack.kafka_dist import kafka_unavailable_reason
from tide.stack.ports import free_port
from tide.stack.registry_process import RegistryProcess

VND = "application/vnd.schemaregistry.v1+json"
EVOLVING = "bench-evolving-value"
PROGRESS_EVERY_S = 2.0

T = TypeVar("T")
R = TypeVar("R")


class Target(Protocol):
    """The three calls the bench times, against one registry."""

    def register(self, subject: str, text: str) -> int: ...

    def by_id(self, schema_id: int) -> None: ...

    def lookup(self, subject: str, text: str) -> None: ...


class HttpTarget:
    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def _call(self, method: str, path: str, body: object = None) -> Any:
        content = None if body is None else json.dumps(body)
        response = self._client.request(method, path, content=content)
        if response.status_code != 200:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json()

    def register(self, subject: str, text: str) -> int:
        return int(self._call("POST", f"/subjects/{subject}/versions", {"schema": text})["id"])

    def by_id(self, schema_id: int) -> None:
        self._call("GET", f"/schemas/ids/{schema_id}")

    def lookup(self, subject: str, text: str) -> None:
        self._call("POST", f"/subjects/{subject}", {"schema": text})


class CoreTarget:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def register(self, subject: str, text: str) -> int:
        return int(self._registry.register(Subject(subject), text).schema_id)

    def by_id(self, schema_id: int) -> None:
        self._registry.schema_by_id(SchemaId(schema_id))

    def lookup(self, subject: str, text: str) -> None:
        self._registry.lookup(Subject(subject), text)


@dataclass(frozen=True)
class Figure:
    operation: str
    where: str
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds

    def percentiles(self) -> tuple[float, float, float]:
        cuts = statistics.quantiles(self.latencies_ms, n=100, method="inclusive")
        return cuts[49], cuts[94], cuts[98]


def record_schema(name: str, extra_fields: int = 0) -> str:
    """A record of a realistic shape; ``extra_fields`` optional fields make compatible versions."""
    fields: list[dict[str, Any]] = [
        {"name": "id", "type": "long"},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "user", "type": "string"},
        {"name": "amount", "type": "double"},
        {"name": "kind", "type": {"type": "enum", "name": f"{name}Kind", "symbols": ["A", "B"]}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
    ]
    fields += [
        {"name": f"extra{j}", "type": ["null", "string"], "default": None}
        for j in range(extra_fields)
    ]
    record = {"type": "record", "name": name, "namespace": "tide.bench", "fields": fields}
    return json.dumps(record)


def timed_phase(
    operation: str, where: str, items: Sequence[T], call: Callable[[T], R]
) -> tuple[Figure, list[R]]:
    """Call ``call`` on each item in turn, timing each call; prints progress to stderr."""
    latencies: list[float] = []
    results: list[R] = []
    started = last_report = time.perf_counter()
    for item in items:
        t0 = time.perf_counter()
        results.append(call(item))
        t1 = time.perf_counter()
        latencies.append((t1 - t0) * 1000)
        if t1 - last_report >= PROGRESS_EVERY_S:
            last_report = t1
            done = f"{len(results):,}/{len(items):,}"
            print(f"  {where:<10} {operation:<17} {done:>15}", file=sys.stderr)
    return Figure(operation, where, time.perf_counter() - started, latencies), results


def measure(target: Target, where: str, count: int, evolutions: int) -> list[Figure]:
    """The four phases against ``target``, after one untimed warm-up of each call."""
    warm = record_schema("Warmup")
    target.by_id(target.register("bench-warmup-value", warm))
    target.lookup("bench-warmup-value", warm)
    new = [(f"bench-{i}-value", record_schema(f"Bench{i}")) for i in range(count)]
    evolve = [(EVOLVING, record_schema("Evolving", k)) for k in range(evolutions)]
    figures, ids = [], []
    for operation, pairs in (("register (new)", new), ("register (evolve)", evolve)):
        figure, registered = timed_phase(operation, where, pairs, lambda p: target.register(*p))
        figures.append(figure)
        ids += registered
    figures.append(timed_phase("get by id", where, ids, target.by_id)[0])
    figures.append(timed_phase("lookup", where, new + evolve, lambda p: target.lookup(*p))[0])
    return figures


def over_http(tmp: Path, count: int, evolutions: int) -> list[Figure]:
    server = RegistryProcess(free_port(), tmp / "http.sqlite", tmp / "logs")
    try:
        server.start()
        headers = {"Content-Type": VND, "Accept": VND}
        with httpx.Client(base_url=server.url, headers=headers, timeout=30.0) as client:
            return measure(HttpTarget(client), "http", count, evolutions)
    finally:
        server.stop()


def over_kafka(tmp: Path, count: int, evolutions: int) -> list[Figure]:
    """The phases against a follower of three Kafka-backed instances (see the module doc)."""
    with KafkaCluster(tmp / "kafka", nodes=3) as kafka:
        options = KafkaStoreOptions(kafka.bootstrap_servers, "_schemas", "", 3.0, 3)
        members = [RegistryProcess(free_port(), None, tmp / "logs", options) for _ in range(3)]
        try:
            for member in members:
                member.start(timeout_s=60)
            primary = httpx.get(f"{members[0].url}/v1/metadata/primary", timeout=5).json()
            follower = next(m for m in members if m.url != primary["primary"])
            headers = {"Content-Type": VND, "Accept": VND}
            with httpx.Client(base_url=follower.url, headers=headers, timeout=30.0) as client:
                return measure(HttpTarget(client), "kafka x3", count, evolutions)
        finally:
            for member in members:
                member.stop()


def in_process(tmp: Path, count: int, evolutions: int) -> list[Figure]:
    store = SqliteSchemaStore(tmp / "in-process.sqlite")
    try:
        return measure(CoreTarget(Registry(store)), "in-process", count, evolutions)
    finally:
        store.close()


def report(count: int, evolutions: int, figures: list[Figure]) -> None:
    baseline = {f.operation: f.rate for f in figures if f.where == "in-process"}
    print(f"{count} subjects + {evolutions} evolutions of one subject, one call at a time; "
          "store: SQLite (http, in-process), a Kafka log (kafka x3)")  # fmt: skip
    print("http: registry child process, one keep-alive httpx client; kafka x3: a follower of "
          "three Kafka-backed instances; ratio: ops/s / in-process")  # fmt: skip
    print(f"{'operation':<19}{'where':<12}{'ops/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'ratio':>8}")  # fmt: skip
    order = {"http": 0, "kafka x3": 1, "in-process": 2}
    for f in sorted(figures, key=lambda f: (list(baseline).index(f.operation), order[f.where])):
        p50, p95, p99 = f.percentiles()
        ratio = f.rate / baseline[f.operation]
        print(f"{f.operation:<19}{f.where:<12}{f.rate:>10,.0f}{p50:>9.2f}{p95:>9.2f}{p99:>9.2f}"
              f"{ratio:>8.3f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.registry")
    parser.add_argument("--count", type=int, default=1500, help="subjects registered")
    parser.add_argument("--evolutions", type=int, default=100, help="versions of one subject")
    parser.add_argument(
        "--kafka", action="store_true", help="also 3 instances on a 3-node Kafka (`make kafka`)"
    )
    args = parser.parse_args()
    if args.count < 2 or args.evolutions < 2:
        parser.error("--count and --evolutions must be at least 2 (percentiles need two calls)")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            figures = in_process(Path(tmp), args.count, args.evolutions)
            figures += over_http(Path(tmp), args.count, args.evolutions)
            if args.kafka and (reason := kafka_unavailable_reason()) is not None:
                print(f"bench.registry: no kafka x3 rows: {reason}", file=sys.stderr)
            elif args.kafka:
                figures += over_kafka(Path(tmp), args.count, args.evolutions)
        except RuntimeError as e:
            raise SystemExit(f"bench.registry: {e}") from e
    report(args.count, args.evolutions, figures)


if __name__ == "__main__":
    main()
