"""The window workers' /metrics: where they are, and their Prometheus text read into rows.

A worker's web port is picked at its start; `tide up`'s worker logs it (``worker starting ...
metrics=URL``) in the log ``stack.json`` names, which is where the console finds it. URLs given
with `tide console --worker URL` are read as well.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from producers.tls import shared_ssl_context
from tide.console.errors import WorkerMetricsError
from tide.stack.supervision import read_state

_STARTED = re.compile(r"worker starting .*metrics=(\S+)")
Samples = dict[str, list[tuple[dict[str, str], float]]]  # metric name -> (labels, value)


def discovered(data_dir: Path) -> list[str]:
    """The /metrics URL each running worker of `tide up` logged at its (last) start."""
    state = read_state(data_dir / "stack.json")
    urls = []
    for child in (state or {}).get("children", []):
        if child.get("name") != "worker":
            continue
        try:
            found = _STARTED.findall(Path(child["address"]).read_text(errors="replace"))
        except OSError:
            continue
        if found:
            urls.append(found[-1])
    return urls


def scrape(url: str, timeout_s: float = 2.0) -> Samples:
    """Every sample of the worker at ``url``, by metric name."""
    try:
        response = httpx.get(url, timeout=timeout_s, verify=shared_ssl_context())
        response.raise_for_status()
    except httpx.HTTPError as e:
        raise WorkerMetricsError(f"worker metrics at {url} did not answer: {e}") from e
    samples: Samples = defaultdict(list)
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[sample.name].append((dict(sample.labels), float(sample.value)))
    return samples


def by_labels(samples: Samples, name: str, *labels: str) -> dict[tuple[str, ...], float]:
    """The values of metric ``name`` keyed by the values of ``labels``."""
    return {tuple(lab.get(k, "") for k in labels): value for lab, value in samples.get(name, [])}


def summary(samples: Samples) -> dict[str, Any]:
    """Per job: its partitions (watermark, lag, idle, events read), late events, dead letters,
    open windows (all stages), the operator watermark, checkpoints taken and their mean
    duration, runner restarts, and its run loop's milliseconds per second busy, idle and
    backpressured."""
    marks = by_labels(samples, "tide_stream_partition_watermark_ms", "job", "partition")
    lags = by_labels(samples, "tide_stream_consumer_lag", "job", "partition")
    idle = by_labels(samples, "tide_stream_partition_idle", "job", "partition")
    events = by_labels(samples, "tide_stream_events_in_total", "job", "partition")
    shares = by_labels(samples, "tide_stream_time_ms_per_second", "job", "state")
    windows = by_labels(samples, "tide_stream_open_windows", "job", "stage")
    per_job = {
        "late": by_labels(samples, "tide_stream_late_events_total", "job"),
        "dead_letters": by_labels(samples, "tide_stream_dead_letters_total", "job"),
        "operator_watermark_ms": by_labels(samples, "tide_stream_operator_watermark_ms", "job"),
        "checkpoints": by_labels(samples, "tide_stream_checkpoint_seconds_count", "job"),
        "checkpoint_seconds": by_labels(samples, "tide_stream_checkpoint_seconds_sum", "job"),
        "restarts": by_labels(samples, "tide_stream_runner_restarts_total", "job"),
    }
    jobs: dict[str, Any] = {}
    for job, partition in sorted(set(marks) | set(lags) | set(idle) | set(events)):
        entry = jobs.setdefault(job, {"job": job, "partitions": []})
        entry["partitions"].append({
            "partition": int(partition) if partition.isdigit() else partition,
            "watermark_ms": _int(marks.get((job, partition))),
            "consumer_lag": _int(lags.get((job, partition))),
            "idle": bool(idle.get((job, partition), 0)),
            "events_in": _int(events.get((job, partition))),
        })  # fmt: skip
    for job in {k[0] for values in per_job.values() for k in values} - set(jobs):
        jobs[job] = {"job": job, "partitions": []}
    for job, entry in jobs.items():
        for key, values in per_job.items():
            entry[key] = _int(values.get((job,)))
        total_s, count = per_job["checkpoint_seconds"].get((job,)), entry["checkpoints"]
        entry["checkpoint_mean_ms"] = (
            round(total_s * 1000 / count, 1) if count and total_s else None
        )
        del entry["checkpoint_seconds"]
        share = {state: value for (name, state), value in shares.items() if name == job}
        entry["time_ms_per_second"] = share or None  # busy, idle, backpressured (as Flink's)
        entry["open_windows"] = _int(sum(v for (name, _), v in windows.items() if name == job))
    return {"jobs": [jobs[name] for name in sorted(jobs)]}


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)
