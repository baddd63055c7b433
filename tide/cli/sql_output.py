"""A SQL result on screen: a table for people, JSON for programs, and a note when it was cut."""

from __future__ import annotations

from lake.result import QueryResult
from tide.cli.output import OutputFormat, emit_table, errors


def show_result(result: QueryResult, fmt: OutputFormat, limit_hint: str = "--max-rows N") -> None:
    """The rows kept of ``result``; on stderr, that there were more when it was cut."""
    table = result.table
    emit_table(table.column_names, [tuple(r.values()) for r in table.to_pylist()], fmt)
    if result.truncated:
        errors.print(
            f"(showing the first {table.num_rows:,} rows; the result has more — "
            f"{limit_hint} to change, 0 for all)",
            highlight=False,
        )
