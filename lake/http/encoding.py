"""A query result as the client asked: JSON (columns, rows, truncated) or an Arrow IPC stream."""

from __future__ import annotations

import base64
import json
import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa

from lake.result import QueryResult

ARROW_STREAM = "application/vnd.apache.arrow.stream"
TRUNCATED_HEADER = "X-Tide-Truncated"


def json_body(result: QueryResult) -> bytes:
    """``{"columns": [...], "rows": [[...]], "truncated": bool}``, strict JSON (no NaN)."""
    table = result.table
    rows = [[_plain(v) for v in row.values()] for row in table.to_pylist()]
    body = {"columns": table.column_names, "rows": rows, "truncated": result.truncated}
    return json.dumps(body, allow_nan=False).encode()


def arrow_body(result: QueryResult) -> bytes:
    """The rows kept as one Arrow IPC stream (``truncated`` goes in a header)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, result.table.schema) as writer:
        writer.write_table(result.table)
    return bytes(sink.getvalue())


def _plain(value: Any) -> Any:
    """``value`` as JSON can hold it: times in ISO 8601, bytes in base64, NaN as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)
