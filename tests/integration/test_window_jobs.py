"""The shipped jobs on the real broker, registry and lake: every final result cross-checked
against DuckDB over the landed source topic; `/metrics` served by the worker."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.streams_fixtures import StreamRig
from tide.demo.window_watch import WindowWatch
from tide.ops.lake import land_topic, query_engine
from tide.ops.produce import generate
from tide.ops.schemas import sync_schemas
from tide.ops.topics import create_pipeline_topics
from tide.settings import KafkaSettings, RegistrySettings, StreamSettings, TideSettings
from tide.stack.ports import free_port
from tide.stack.worker_process import WorkerProcess, worker_env

CLICKS, ORDERS = 6_000, 3_000


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
def worker(settings: TideSettings) -> Iterator[tuple[WorkerProcess, int]]:
    port = free_port()
    env = worker_env(
        settings.kafka.bootstrap_servers,
        settings.registry.url,
        settings.data_dir / "not" / "yet" / "there",
        2.0,
        {"TIDE_STREAMS__WEB_PORT": str(port)},
    )
    process = WorkerProcess(env, settings.data_dir.parent / "worker.log")
    process.start()
    yield process, port
    process.stop()


def finals(settings: TideSettings, topic: str, until: Any) -> dict[bytes, dict[str, Any]]:
    rig = StreamRig(settings.kafka.bootstrap_servers, settings.registry.url, settings.data_dir)
    watch = WindowWatch(settings.kafka.bootstrap_servers, topic, rig.decoder)
    try:
        rig.wait_for(topic, lambda: (bool(watch.poll(0.5)) and False) or until(watch), 120)
        return watch.finals
    finally:
        watch.close()
        rig.close()


def by_window(records: dict[bytes, dict[str, Any]], key: str) -> dict[tuple[Any, str], Any]:
    return {(r["window_start"], r[key]): r for r in records.values()}


def test_every_shipped_job_agrees_with_duckdb_over_the_landed_source(
    settings: TideSettings, worker: tuple[WorkerProcess, int]
) -> None:
    generate(settings, "clicks", CLICKS, span_s=300, seed=21)
    generate(settings, "orders", ORDERS, span_s=300, seed=22)
    land_topic(settings, "clicks")
    land_topic(settings, "orders")
    sql = query_engine(settings)
    paid = sql.query("SELECT count(*) FROM orders WHERE payload.OrderPaid IS NOT NULL")
    n_paid = paid.column(0)[0].as_py()

    clicks = finals(settings, "clicks_per_minute", lambda w: w.total("clicks") >= CLICKS)
    expected = sql.query(
        "SELECT date_trunc('minute', event_time) AS w, page, count(*) AS n FROM clicks GROUP BY ALL"
    ).to_pylist()
    assert {(r["window_start"], r["page"]): r["clicks"] for r in clicks.values()} == {
        (r["w"], r["page"]): r["n"] for r in expected
    }

    revenue = finals(settings, "revenue_per_region", lambda w: w.total("payments") >= n_paid)
    expected = sql.query(
        "SELECT date_trunc('minute', event_time) AS w, region, count(*) AS n, "
        "sum(payload.OrderPaid.amount_cents)::BIGINT AS cents, "
        "max(payload.OrderPaid.amount_cents) AS top "
        "FROM orders WHERE payload.OrderPaid IS NOT NULL GROUP BY ALL"
    ).to_pylist()
    got = {
        (r["window_start"], r["region"]): (
            r["payments"],
            r["revenue_cents"],
            r["max_payment_cents"],
            r["mean_payment_cents"],
        )
        for r in revenue.values()
    }
    assert got == {
        (r["w"], r["region"]): (r["n"], r["cents"], r["top"], r["cents"] / r["n"]) for r in expected
    }

    users = finals(settings, "distinct_users_per_page", lambda w: w.total("clicks") >= CLICKS)
    expected = sql.query(
        "SELECT date_trunc('minute', event_time) AS w, page, count(DISTINCT user_id) AS n "
        "FROM clicks GROUP BY ALL"
    ).to_pylist()
    exact = {(r["w"], r["page"]): r["n"] for r in expected}
    estimates = {(r["window_start"], r["page"]): r["users"] for r in users.values()}
    assert estimates.keys() == exact.keys()
    for key, n in exact.items():
        # HyperLogLog: ±5% (three standard errors), ±6 for small sets (register collisions)
        assert abs(estimates[key] - n) <= max(6, 0.05 * n), (key, estimates[key], n)


def test_the_worker_serves_metrics_and_creates_its_data_dir(
    settings: TideSettings, worker: tuple[WorkerProcess, int]
) -> None:
    process, port = worker
    generate(settings, "clicks", 1_000, span_s=120, seed=5)
    finals(settings, "clicks_per_minute", lambda w: w.total("clicks") >= 1_000)
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    for name in (
        "tide_stream_partition_watermark_ms",
        "tide_stream_events_in_total",
        "tide_stream_results_total",
        "tide_stream_emit_lag_seconds_bucket",
        "tide_stream_consumer_lag",
        "tide_stream_open_windows",
        "tide_stream_late_events_total",
        "tide_stream_dead_letters_total",
    ):
        assert name in text, name
    counted = re.search(r'tide_stream_events_counted_total\{job="clicks_per_minute"\} (\S+)', text)
    assert counted is not None and float(counted.group(1)) == 1_000
    jobs = httpx.get(f"http://127.0.0.1:{port}/jobs", timeout=5).json()
    assert {j["job"] for j in jobs} == {
        "clicks_per_minute",
        "revenue_per_region",
        "distinct_users_per_page",
    }
    assert all(j["state"] == "running" for j in jobs)
    assert (settings.data_dir / "not" / "yet" / "there" / "streams").is_dir()
    log = process.log_path.read_text()
    assert "partition restored job=clicks_per_minute partition=0" in log
