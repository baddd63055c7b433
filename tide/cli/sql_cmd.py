"""`tide sql`: read-only SQL over every lake table, with DuckDB."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TextIO

import typer

from tide.cli.context import settings
from tide.cli.output import OutputFormat, errors
from tide.cli.sql_shell import SqlShell, show_rows
from tide.errors import TideError
from tide.ops.lake import query_engine

OUTPUT = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")
MAX_ROWS = typer.Option(
    None, "--max-rows", min=0, help="Rows shown in text (0: all; the shell's default: 100)."
)
SHELL_ROWS = 100


def sql(
    statement: str = typer.Argument(None, help="SQL; omit it for an interactive shell."),
    output: OutputFormat = OUTPUT,
    max_rows: int | None = MAX_ROWS,
) -> None:
    """Run STATEMENT over the lake (tables are views named like the topics)."""
    current = settings()
    engine = query_engine(current)
    if statement is not None:
        show_rows(engine.query(statement), output, max_rows or 0)
        return
    if sys.stdin.isatty() and output is OutputFormat.text:
        limit = SHELL_ROWS if max_rows is None else max_rows
        SqlShell(engine.query, engine.tables, current.data_dir / "sql_history", limit).run()
        return
    for text in _statements(sys.stdin):  # piped statements: each line, or up to each ';'
        try:
            show_rows(engine.query(text), output, max_rows or 0)
        except TideError as e:
            errors.print(f"[red]error:[/red] {e}", highlight=False, soft_wrap=True)


def _statements(stream: TextIO) -> Iterator[str]:
    """Statements of piped input: each ends with ';' or with its line."""
    buffer = ""
    for line in stream:
        buffer += line
        text = buffer.strip()
        if text:
            yield text.rstrip(";")
            buffer = ""
