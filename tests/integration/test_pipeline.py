"""The walking skeleton end to end, on real parts: broker, registry over HTTP, Faust worker,
Iceberg catalog and warehouse, DuckDB, and the `tide` CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from producers.config import ProducerConfig
from producers.deserializer import AvroDeserializer
from producers.generators.clicks import clicks
from producers.generators.clock import EventClock
from producers.publisher import PublisherConfig, build_publisher
from producers.registry_client import RegistryClient
from producers.topics import partitions_of
from schemas.loader import load
from tide.demo.window_watch import WindowWatch
from tide.ops.lake import land_topic
from tide.ops.produce import generate
from tide.ops.schemas import sync_schemas
from tide.ops.topics import create_pipeline_topics
from tide.settings import KafkaSettings, RegistrySettings, StreamSettings, TideSettings
from tide.stack.worker_process import WorkerProcess, worker_env

N = 3_000


@pytest.fixture
def settings(fresh_data_broker: Any, registry_url: str, tmp_path: Path) -> TideSettings:
    s = TideSettings(
        data_dir=tmp_path / "data",
        kafka=KafkaSettings(bootstrap_servers=fresh_data_broker.bootstrap_servers),
        registry=RegistrySettings(url=registry_url),
        streams=StreamSettings(idle_timeout_seconds=2.0),
    )
    sync_schemas(registry_url)
    create_pipeline_topics(s.kafka)
    return s


@pytest.fixture
def worker(settings: TideSettings) -> Iterator[WorkerProcess]:
    env = worker_env(
        settings.kafka.bootstrap_servers, settings.registry.url, settings.data_dir, 2.0
    )
    process = WorkerProcess(
        env, settings.data_dir / "logs" / "worker.log", ["--job", "clicks_per_minute"]
    )
    process.start()
    yield process
    process.stop()


def tide_cli(settings: TideSettings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TIDE_DATA_DIR": str(settings.data_dir),
        "TIDE_KAFKA__BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
        "TIDE_REGISTRY__URL": settings.registry.url,
    }
    return subprocess.run(
        [sys.executable, "-m", "tide", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def wait_for_windows(settings: TideSettings, expected: int, timeout_s: float) -> int:
    registry = RegistryClient(settings.registry.url)
    watch = WindowWatch(
        settings.kafka.bootstrap_servers, "clicks_per_minute", AvroDeserializer(registry)
    )
    deadline = time.monotonic() + timeout_s
    try:
        while watch.total("clicks") < expected and time.monotonic() < deadline:
            watch.poll()
        watch.poll(timeout_s=1.0)  # anything beyond N would show up here
        return watch.total("clicks")
    finally:
        watch.close()
        registry.close()


def messages_in(settings: TideSettings, topic: str) -> int:
    """Count by reading to the end (the embedded broker's ListOffsets answers are wrong)."""
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka.bootstrap_servers,
            "group.id": "count",
            "enable.partition.eof": True,
        }
    )
    parts = set(partitions_of(settings.kafka.bootstrap_servers, topic))
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
    count = 0
    try:
        while parts:
            for message in consumer.consume(1000, timeout=1.0):
                if message.error() is None:
                    count += 1
                else:
                    parts.discard(message.partition() or 0)
        return count
    finally:
        consumer.close()


def test_clicks_flow_from_producer_through_windows_into_the_lake(
    settings: TideSettings, worker: WorkerProcess
) -> None:
    stats = generate(settings, "clicks", N, span_s=240, seed=42)
    assert stats.delivered == N

    assert wait_for_windows(settings, N, timeout_s=90) == N
    assert messages_in(settings, "clicks_per_minute.late") == 0

    first = land_topic(settings, "clicks")
    assert first.rows == N
    assert sum(first.offsets.values()) == N
    again = land_topic(settings, "clicks")  # resumes from the offsets in the snapshot
    assert again.rows == 0
    assert again.offsets == first.offsets

    result = tide_cli(settings, "sql", "SELECT count(*) AS n FROM clicks", "--output", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"n": N}]

    land_topic(settings, "clicks_per_minute")
    per_page = tide_cli(
        settings,
        "sql",
        "SELECT (SELECT sum(clicks) FROM clicks_per_minute) AS windowed, "
        "(SELECT count(*) FROM clicks) AS raw",
        "-o",
        "json",
    )
    assert json.loads(per_page.stdout) == [{"windowed": N, "raw": N}]


def test_land_job_via_cli_records_job_and_is_idempotent(settings: TideSettings) -> None:
    generate(settings, "orders", 500, span_s=120, seed=3)
    first = tide_cli(settings, "jobs", "submit", "land", "--topic", "orders", "-o", "json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["rows_landed"] == 500
    second = tide_cli(settings, "jobs", "submit", "land", "--topic", "orders", "-o", "json")
    assert json.loads(second.stdout)["rows_landed"] == 0
    jobs = json.loads(tide_cli(settings, "jobs", "list", "-o", "json").stdout)
    assert [j["state"] for j in jobs] == ["SUCCEEDED", "SUCCEEDED"]
    status = json.loads(
        tide_cli(settings, "jobs", "status", str(jobs[-1]["id"]), "-o", "json").stdout
    )
    assert status["result"]["rows"] == 500
    assert status["args"] == "--topic orders"
    assert datetime.fromisoformat(status["submitted_at"]) <= datetime.fromisoformat(
        status["finished_at"]
    )
    regions = tide_cli(
        settings,
        "sql",
        "SELECT count(*) AS n FROM orders WHERE payload.OrderPlaced IS NOT NULL",
        "-o",
        "json",
    )
    placed = json.loads(regions.stdout)[0]["n"]
    assert 0 < placed <= 500


def test_events_later_than_the_allowed_lateness_go_to_the_late_topic(
    settings: TideSettings, worker: WorkerProcess
) -> None:
    # a fifth of the clicks arrive up to 90 s late: far beyond the 10 s allowed lateness
    clock = EventClock(int(time.time() * 1000) - 240_000, 80.0, late_share=0.2, max_delay_ms=90_000)
    contract = load("clicks")
    config = PublisherConfig(
        ProducerConfig(settings.kafka.bootstrap_servers), settings.data_dir / "outbox.sqlite"
    )
    with RegistryClient(settings.registry.url) as registry:
        publisher = build_publisher(
            config, registry, {"clicks": (contract.subject, contract.schema_str)}
        )
        for key, event in clicks(N, clock, seed=9):
            publisher.send("clicks", key, event)
        assert publisher.flush().delivered == N
        publisher.close()
    deadline = time.monotonic() + 90
    windowed = late = 0
    while windowed + late < N and time.monotonic() < deadline:
        windowed = wait_for_windows(settings, N, timeout_s=2)
        late = messages_in(settings, "clicks_per_minute.late")
    assert late > 0
    assert windowed + late == N  # every click counted once or routed aside, none dropped
