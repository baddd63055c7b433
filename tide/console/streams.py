"""Streams: per window job and partition, the watermark (as a time and as a lag behind now),
consumer lag, late events and dead letters, read from every worker's /metrics."""

from __future__ import annotations

import time
from typing import Any

from tide.console import worker_metrics
from tide.console.context import ConsoleContext
from tide.console.errors import WorkerMetricsError
from tide.ops.record_view import iso_ms


def streams(ctx: ConsoleContext) -> dict[str, Any]:
    """One entry per worker URL: its jobs, or the error that kept it from answering."""
    found = worker_metrics.discovered(ctx.settings.data_dir.resolve())
    urls = list(dict.fromkeys([*ctx.worker_urls, *found]))
    now_ms = int(time.time() * 1000)
    workers: list[dict[str, Any]] = []
    for url in urls:
        try:
            jobs = worker_metrics.summary(worker_metrics.scrape(url))["jobs"]
        except WorkerMetricsError as e:
            workers.append({"url": url, "error": str(e), "jobs": []})
            continue
        for job in jobs:
            _times(job, now_ms)
        workers.append({"url": url, "error": None, "jobs": jobs})
    return {"now_ms": now_ms, "workers": workers}


def _times(job: dict[str, Any], now_ms: int) -> None:
    """Each watermark also as ISO 8601 and as seconds behind ``now_ms``."""
    for entry in [job, *job["partitions"]]:
        key = "operator_watermark_ms" if entry is job else "watermark_ms"
        mark = entry.get(key)
        valid = mark is not None and mark > 0
        entry[key.replace("_ms", "")] = iso_ms(mark) if valid else None
        entry[key.replace("watermark_ms", "behind_s")] = (
            round((now_ms - mark) / 1000, 1) if valid else None
        )
