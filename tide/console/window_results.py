"""The latest final window results of a window job, for the Streams section's chart: its output
topic's last records (read from each partition's end back, decoded through the registry, never
a group member), grouped by window, with the first aggregation as the measure."""

from __future__ import annotations

from collections import defaultdict
from itertools import islice
from typing import Any

from producers.errors import UnknownTopicError
from producers.partition_bounds import bounds
from producers.topics import partitions_of
from tide.console.context import ConsoleContext
from tide.console.errors import BadParameterError, UnknownWindowJobError
from tide.console.topics import servers
from tide.ops.consume import ConsumeRequest, Start, consume
from tide.ops.streams import known_jobs

TAIL = 600  # records read back from the end of the output topic, over all partitions
TOP = 10  # keys shown per window


def results(ctx: ConsoleContext, job_name: str, windows: int = 10) -> dict[str, Any]:
    if not 1 <= windows <= 60:
        raise BadParameterError(f"windows must be between 1 and 60, not {windows}")
    jobs = known_jobs(ctx.settings)
    job = jobs.get(job_name)
    if job is None:
        raise UnknownWindowJobError(
            f"no window job {job_name!r} (known: {', '.join(sorted(jobs)) or 'none'})"
        )
    if not job.aggregations:
        raise BadParameterError(f"job {job_name} has no aggregation to chart")
    measure, key = job.aggregations[0].name, job.output_key_name
    per_window: dict[Any, dict[str, Any]] = defaultdict(dict)
    for record in _tail(servers(ctx), ctx.settings.registry.url, job.output_topic):
        value = record["value"]
        if isinstance(value, dict) and "window_start" in value:
            per_window[value["window_start"]][str(value.get(key))] = value.get(measure)
    latest = sorted(per_window, reverse=True)[:windows]
    shown = []
    for start in sorted(latest):
        by_key = per_window[start]
        top = sorted(by_key.items(), key=lambda kv: (-(kv[1] or 0), kv[0]))[:TOP]
        shown.append({"window_start": str(start), "keys": len(by_key),
                      "total": sum(v or 0 for v in by_key.values()),
                      "top": [{"key": k, "value": v} for k, v in top]})  # fmt: skip
    return {"job": job.name, "topic": job.output_topic, "key": key, "measure": measure,
            "windows": shown}  # fmt: skip


def _tail(bootstrap: str, registry_url: str, topic: str) -> list[dict[str, Any]]:
    try:
        partitions = partitions_of(bootstrap, topic)
    except UnknownTopicError:  # the job has not run on this broker: no results yet
        return []
    marks = bounds(bootstrap, [(topic, p) for p in partitions])
    share = max(1, TAIL // max(1, len(partitions)))
    records: list[dict[str, Any]] = []
    for p in partitions:
        low, high = marks[(topic, p)]
        if high <= low:
            continue
        start = max(low, high - share)
        request = ConsumeRequest(topic, Start("offset", start), limit=high - start, partition=p)
        read = consume(bootstrap, registry_url, request)
        try:
            records += [r.as_dict() for r in islice(read, high - start)]
        finally:
            read.close()
    return records
