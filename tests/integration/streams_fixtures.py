"""A rig for stream-worker tests on the real broker and registry: unique topics and jobs per
test, workers as `tide worker` processes, produce with chosen partitions and event times, and
read outputs back (decoded through the registry)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition

from producers.config import ProducerConfig
from producers.deserializer import AvroDeserializer
from producers.errors import UnknownTopicError
from producers.registry_client import RegistryClient
from producers.serializer import AvroSerializer
from producers.topics import TopicSpec, ensure_topics, partitions_of
from schemas.loader import load
from tide.stack.worker_process import WorkerProcess, worker_env

PAGES = ["/", "/cart", "/search", "/help"]


@dataclass(frozen=True)
class Record:
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]
    partition: int
    offset: int


def click(t_ms: int, page: str = "/", user: str = "u1") -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_time": t_ms,
        "user_id": user,
        "session_id": "s",
        "page": page,
        "referrer": None,
        "region": "eu",
        "device": "MOBILE",
    }


class StreamRig:
    def __init__(self, bootstrap_servers: str, registry_url: str, root: Path) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.registry_url = registry_url
        self.root = root
        self.tag = uuid.uuid4().hex[:8]
        self.registry = RegistryClient(registry_url)
        self.decoder = AvroDeserializer(self.registry)
        self._producer = Producer(ProducerConfig(bootstrap_servers).librdkafka())
        self._serializers: dict[str, AvroSerializer] = {}
        self.workers: list[WorkerProcess] = []

    def name(self, base: str) -> str:
        return f"{base}_{self.tag}"

    def source(self, base: str, partitions: int, replication: int = 1) -> str:
        topic = self.name(base)
        ensure_topics(self.bootstrap_servers, [TopicSpec(topic, partitions, replication)])
        return topic

    def jobs_file(self, *jobs: dict[str, Any]) -> Path:
        lines = []
        for job in jobs:
            lines.append("[[job]]")
            for k, v in job.items():
                if k != "aggregations":
                    lines.append(f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"')
            aggs = ", ".join(
                "{ " + ", ".join(f'{k} = "{v}"' for k, v in a.items()) + " }"
                for a in job["aggregations"]
            )
            lines.append(f"aggregations = [{aggs}]")
        path = self.root / f"jobs-{uuid.uuid4().hex[:6]}.toml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def worker(
        self, jobs_file: Path, *jobs: str, idle_s: float = 2.0, env: dict[str, str] | None = None
    ) -> WorkerProcess:
        n = len(self.workers)
        extra = {"TIDE_STREAMS__CHECKPOINT_INTERVAL_SECONDS": "1", **(env or {})}
        process = WorkerProcess(
            worker_env(
                self.bootstrap_servers, self.registry_url, self.root / f"w{n}", idle_s, extra
            ),
            self.root / "logs" / f"worker-{n}.log",
            ["--jobs-file", str(jobs_file), *(a for j in jobs for a in ("--job", j))],
        )
        process.start()
        self.workers.append(process)
        return process

    def produce(self, topic: str, events: list[tuple[int, dict[str, Any]]]) -> None:
        """(partition, click) pairs, in order; returns once every one is acknowledged."""
        if topic not in self._serializers:
            self._serializers[topic] = AvroSerializer(
                self.registry, f"{topic}-value", load("clicks").schema_str
            )
        serializer = self._serializers[topic]
        failed: list[str] = []

        def delivered(err: KafkaError | None, _msg: Any) -> None:
            if err is not None:
                failed.append(err.str())

        for partition, record in events:
            value = serializer.encode(record)
            while True:
                try:
                    self._producer.produce(
                        topic,
                        value,
                        record["user_id"].encode(),
                        partition=partition,
                        on_delivery=delivered,
                    )
                    break
                except BufferError:
                    self._producer.poll(0.05)
            self._producer.poll(0)
        assert self._producer.flush(30) == 0 and not failed, failed

    def produce_raw(self, topic: str, partition: int, value: bytes) -> None:
        self._producer.produce(topic, value, b"raw", partition=partition)
        assert self._producer.flush(30) == 0

    def read(self, topic: str) -> list[Record]:
        """Everything in ``topic`` now (read to the end of every partition)."""
        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap_servers,
                "group.id": f"read-{uuid.uuid4().hex}",
                "enable.partition.eof": True,
                "log_level": 3,
            }
        )
        try:
            parts = set(partitions_of(self.bootstrap_servers, topic))
        except UnknownTopicError:
            consumer.close()
            return []  # not created yet: the worker creates its topics when it starts
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
        out: list[Record] = []
        try:
            while parts:
                for m in consumer.consume(5000, timeout=1.0):
                    if m.error() is not None:
                        parts.discard(m.partition() or 0)
                        continue
                    out.append(
                        Record(
                            m.key(),
                            m.value() or b"",
                            dict(m.headers() or []),
                            m.partition() or 0,
                            m.offset() or 0,
                        )
                    )
        finally:
            consumer.close()
        return out

    def finals(self, topic: str) -> dict[bytes, list[Record]]:
        """FINAL records of an output topic by message key (all copies of each)."""
        out: dict[bytes, list[Record]] = {}
        for r in self.read(topic):
            if self.decoder.decode(r.value)["emit"] == "FINAL":
                out.setdefault(r.key or b"", []).append(r)
        return out

    def wait_for(
        self,
        what: str,
        check: Callable[[], bool],
        timeout_s: float,
        state: Callable[[], str] | None = None,
    ) -> None:
        deadline = time.monotonic() + timeout_s
        while not check():
            if time.monotonic() > deadline:
                logs = "\n".join(
                    w.log_path.read_text(errors="replace")[-3000:] for w in self.workers
                )
                found = f" ({state()})" if state else ""
                raise AssertionError(f"timed out waiting for {what}{found}\n{logs}")
            time.sleep(0.2)  # polling interval of the condition, not synchronization

    def decoded(self, records: list[Record]) -> list[dict[str, Any]]:
        return [self.decoder.decode(r.value) for r in records]

    def close(self) -> None:
        for w in self.workers:
            w.stop()
        self.registry.close()


@pytest.fixture
def rig(data_broker: Any, registry_url: str, tmp_path: Path) -> Iterator[StreamRig]:
    """On the embedded broker, then on Apache Kafka."""
    instance = StreamRig(data_broker.bootstrap_servers, registry_url, tmp_path)
    yield instance
    instance.close()


@pytest.fixture
def long_rig(long_data_broker: Any, registry_url: str, tmp_path: Path) -> Iterator[StreamRig]:
    """On Apache Kafka (and on the embedded broker too under `make chaos`)."""
    instance = StreamRig(long_data_broker.bootstrap_servers, registry_url, tmp_path)
    yield instance
    instance.close()
