"""`/metrics` of a running land job (``--metrics-port``): rows, commits, lag per partition and
freshness, read from the job at each scrape (Prometheus text format)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from jobs.errors import JobError
from jobs.land import LandJob


class LandCollector(Collector):
    def __init__(self, job: LandJob) -> None:
        self._job = job

    def collect(self) -> Iterator[Metric]:
        job, labels = self._job, [self._job.config.table_name]
        rows = CounterMetricFamily("tide_land_rows", "Rows landed by this run.", labels=["table"])
        rows.add_metric(labels, job.result.rows)
        commits = CounterMetricFamily(
            "tide_land_commits", "Lake commits by this run.", labels=["table"]
        )
        commits.add_metric(labels, job.result.commits)
        read = CounterMetricFamily(
            "tide_land_records_read", "Records read by this run, landed or not yet.",
            labels=["table"],
        )  # fmt: skip
        read.add_metric(labels, job.read)
        lag = GaugeMetricFamily(
            "tide_land_lag_records",
            "Records in the topic not landed yet (end offset - committed offset), by partition.",
            labels=["table", "partition"],
        )
        committed = job.result.offsets
        for partition, end in sorted(job.ends.items()):
            behind = max(end - committed.get(partition, 0), 0)
            lag.add_metric([*labels, str(partition)], behind)
        yield from (rows, commits, read, lag)
        now = time.time()
        if job.result.valid_through is not None:
            through = datetime.fromisoformat(job.result.valid_through).timestamp()
            yield _gauge("tide_land_valid_through_seconds",
                         "Event time every partition's landed rows reach (epoch seconds).",
                         labels, through)  # fmt: skip
            yield _gauge("tide_land_freshness_seconds",
                         "Now minus the landed rows' valid-through event time.",
                         labels, now - through)  # fmt: skip
        if job.committed_at is not None:
            yield _gauge("tide_land_last_commit_age_seconds",
                         "Seconds since this run's last commit.",
                         labels, now - job.committed_at)  # fmt: skip


def _gauge(name: str, doc: str, labels: list[str], value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=["table"])
    family.add_metric(labels, value)
    return family


def serve_metrics(job: LandJob, port: int, host: str = "127.0.0.1") -> WSGIServer:
    """Serve ``job``'s metrics on ``host:port`` from a daemon thread; ``shutdown()`` stops it."""
    registry = CollectorRegistry()
    registry.register(LandCollector(job))
    try:
        server, _thread = start_http_server(port, addr=host, registry=registry)
    except OSError as e:
        reason = e.strerror or str(e)
        raise JobError(f"--metrics-port {port}: cannot listen on {host}:{port} ({reason})") from e
    return server
