"""Render results for people (rich tables) or programs (--output json)."""

from __future__ import annotations

import json
import sys
from collections.abc import Collection, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console(soft_wrap=True)  # long lines stay whole when piped to a file
errors = Console(stderr=True, soft_wrap=True)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def json_default(value: Any) -> Any:
    """JSON for what SQL results hold: exact integers stay numbers, times become ISO 8601."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def emit_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    fmt: OutputFormat,
    title: str = "",
    whole: Collection[str] = (),
) -> None:
    """``rows`` as a table (``whole``: columns never shortened to fit) or as JSON objects."""
    if fmt is OutputFormat.json:
        payload = [dict(zip(columns, row, strict=True)) for row in rows]
        sys.stdout.write(json.dumps(payload, default=json_default) + "\n")
        return
    table = Table(title=title or None, title_justify="left")
    for i, column in enumerate(columns):
        widest = max((len(str(row[i])) for row in rows), default=0) if column in whole else None
        table.add_column(column, min_width=widest)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


def emit_object(obj: dict[str, Any], fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        sys.stdout.write(json.dumps(obj, default=json_default) + "\n")
        return
    for key, value in obj.items():
        console.print(f"[bold]{key}[/bold]: {value}")
