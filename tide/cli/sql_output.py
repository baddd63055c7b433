"""A SQL result on stdout — a table for people, JSON or CSV for programs — and, on stderr, a
note when it was cut at the row limit."""

from __future__ import annotations

import base64
import csv
import json
import sys
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from lake.result import QueryResult
from tide.cli.output import OutputFormat, emit_table, errors, json_default


class SqlFormat(StrEnum):
    table = "table"
    text = "text"  # the same as table: what `--output text` always meant
    json = "json"
    csv = "csv"


def show_result(result: QueryResult, fmt: SqlFormat, limit_hint: str = "--max-rows N") -> None:
    """The rows kept of ``result`` in ``fmt``; on stderr, that there were more when it was cut."""
    table = result.table
    if fmt is SqlFormat.csv:
        write_csv(table.column_names, table.to_pylist())
    else:
        shown = OutputFormat.json if fmt is SqlFormat.json else OutputFormat.text
        emit_table(table.column_names, [tuple(r.values()) for r in table.to_pylist()], shown)
    if result.truncated:
        errors.print(
            f"(showing the first {table.num_rows:,} rows; the result has more — "
            f"{limit_hint} to change, 0 for all)",
            highlight=False,
        )


def write_csv(columns: list[str], rows: list[dict[str, Any]]) -> None:
    """RFC 4180 CSV with a header: NULL is an empty field, nested values are JSON text."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_field(row[c]) for c in columns])


def csv_field(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict | list):
        return json.dumps(value, default=json_default)
    return str(value)
