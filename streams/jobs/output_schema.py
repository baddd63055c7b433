"""The Avro schema of a job's output records, derived from its declaration.

One record per key and window: the key, ``window_start``/``window_end``, one field per
aggregation, and ``emit`` (``FINAL``, or ``EARLY`` for a running value before the final one).
The shipped jobs' schemas are also files in ``schemas/`` (a unit test keeps them equal), so the
registry holds them before any worker starts and ``tide schema sync`` registers them.
"""

from __future__ import annotations

import json
from typing import Any

from streams.jobs.base import AggKind, Aggregation, WindowJob

_TIMESTAMP = {"type": "long", "logicalType": "timestamp-millis"}


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _agg_field(agg: Aggregation) -> dict[str, Any]:
    if agg.kind in (AggKind.COUNT, AggKind.DISTINCT):
        doc = "events" if agg.kind is AggKind.COUNT else f"approximate distinct {agg.path}"
        return {"name": agg.name, "type": "long", "doc": doc}
    value = "double" if agg.kind is AggKind.MEAN else str(agg.value_type)
    return {
        "name": agg.name,
        "type": ["null", value],
        "default": None,
        "doc": f"{agg.kind} of {agg.path} (null when no event had a value)",
    }


def output_schema(job: WindowJob) -> dict[str, Any]:
    window = f"{job.timing.size_ms // 1000} s" if job.timing.size_ms % 1000 == 0 else "window"
    fields: list[dict[str, Any]] = [
        {
            "name": job.output_key_name,
            "type": ["null", "string"],
            "default": None,
            "doc": f"the aggregation key ({job.key_path})",
        },
        {"name": "window_start", "type": _TIMESTAMP, "doc": "inclusive, event time"},
        {"name": "window_end", "type": _TIMESTAMP, "doc": "exclusive, event time"},
        *(_agg_field(a) for a in job.aggregations),
        {
            "name": "emit",
            "type": {
                "type": "enum",
                "name": "Emit",
                "symbols": ["FINAL", "EARLY"],
                "default": "FINAL",
            },
            "default": "FINAL",
            "doc": "FINAL: the one complete result; EARLY: a running value",
        },
    ]
    schema: dict[str, Any] = {
        "type": "record",
        "name": _camel(job.name),
        "namespace": f"tide.streams.{job.name}",
        "doc": job.description
        or f"{job.name}: per {job.output_key_name} per {window} tumbling "
        f"event-time window of {job.source}, one FINAL record per key and window, keyed "
        "window_start|key.",
        "fields": fields,
    }
    if job.aliases:
        schema["aliases"] = list(job.aliases)
    return schema


def output_schema_str(job: WindowJob) -> str:
    return json.dumps(output_schema(job), indent=2) + "\n"
