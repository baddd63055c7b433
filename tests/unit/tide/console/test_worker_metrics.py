"""The Streams section reads the worker's real exposition (streams.metrics) into rows."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from streams import metrics
from tide.console.errors import WorkerMetricsError
from tide.console.worker_metrics import scrape, summary

JOB = "console_unit_job"


class _Metrics(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = metrics.exposition()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def worker_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Metrics)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/metrics"
    finally:
        server.shutdown()
        server.server_close()


def test_jobs_partitions_watermarks_lag_late_and_dead_letters(worker_url: str) -> None:
    metrics.WATERMARK.labels(JOB, "0").set(1_796_000_000_000)
    metrics.WATERMARK.labels(JOB, "1").set(1_796_000_005_000)
    metrics.LAG.labels(JOB, "0").set(7)
    metrics.IDLE.labels(JOB, "1").set(1)
    metrics.EVENTS_IN.labels(JOB, "0").inc(12)
    metrics.LATE.labels(JOB).inc(3)
    metrics.DEAD.labels(JOB).inc(2)
    metrics.OPERATOR_WATERMARK.labels(JOB).set(1_796_000_000_000)
    metrics.CHECKPOINT_SECONDS.labels(JOB).observe(0.010)
    metrics.CHECKPOINT_SECONDS.labels(JOB).observe(0.030)
    metrics.OPEN_WINDOWS.labels(JOB, "partial").set(5)
    metrics.OPEN_WINDOWS.labels(JOB, "merge").set(2)
    for state, share in (("busy", 120.0), ("idle", 830.0), ("backpressured", 50.0)):
        metrics.TIME_PER_SECOND.labels(JOB, state).set(share)

    jobs = {j["job"]: j for j in summary(scrape(worker_url))["jobs"]}

    job = jobs[JOB]
    assert (job["late"], job["dead_letters"]) == (3, 2)
    assert job["operator_watermark_ms"] == 1_796_000_000_000
    assert (job["checkpoints"], job["checkpoint_mean_ms"], job["restarts"]) == (2, 20.0, None)
    assert job["open_windows"] == 7  # over both stages
    assert job["time_ms_per_second"] == {"busy": 120.0, "idle": 830.0, "backpressured": 50.0}
    first, second = job["partitions"]
    assert first == {"partition": 0, "watermark_ms": 1_796_000_000_000, "consumer_lag": 7,
                     "idle": False, "events_in": 12}  # fmt: skip
    assert (second["partition"], second["idle"], second["consumer_lag"]) == (1, True, None)


def test_a_worker_that_does_not_answer_is_named() -> None:
    with pytest.raises(WorkerMetricsError, match=r"127\.0\.0\.1:1/metrics"):
        scrape("http://127.0.0.1:1/metrics", timeout_s=0.5)
