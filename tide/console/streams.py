"""Streams: per window job and partition, the watermark (as a time and as a lag behind now),
consumer lag, late events and dead letters, read from every worker's /metrics; and each known
job's group lag on its source as the broker has it (``tide.ops.lag``), which needs no worker."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from streams.jobs.base import WindowJob
from tide.console import worker_metrics
from tide.console.context import ConsoleContext
from tide.console.errors import WorkerMetricsError
from tide.console.topics import servers
from tide.errors import TideError
from tide.ops.lag import committed_lag, list_groups
from tide.ops.record_view import iso_ms
from tide.ops.streams import known_jobs


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
    return {"now_ms": now_ms, "workers": workers, **_group_lags(ctx)}


def _group_lags(ctx: ConsoleContext) -> dict[str, Any]:
    """Per known job, its group's committed offset, end and lag on each source partition
    (the runner commits its source positions for lag tools); an error is said once."""
    try:
        bootstrap = servers(ctx)
        known = {g.group for g in list_groups(bootstrap)}
        rows = [_group_lag(bootstrap, job, known) for job in known_jobs(ctx.settings).values()]
    except TideError as e:
        return {"groups": [], "groups_error": str(e)}
    return {"groups": rows, "groups_error": None}


def _group_lag(bootstrap: str, job: WindowJob, known: set[str]) -> dict[str, Any]:
    lags = []  # a group not known: the job never ran on this broker
    if job.group_id in known:
        lags = [p for p in committed_lag(bootstrap, job.group_id) if p.topic == job.source]
    return {"job": job.name, "source": job.source, "group": job.group_id,
            "partitions": [{**asdict(p), "lag": p.lag} for p in lags]}  # fmt: skip


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
