"""`tide sql`: read-only SQL over every lake table, with DuckDB."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import TextIO

import pyarrow as pa
import typer

from tide.cli.context import settings
from tide.cli.output import OutputFormat, console, emit_table, errors
from tide.errors import TideError
from tide.ops.lake import query_engine

OUTPUT = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")


def sql(
    statement: str = typer.Argument(None, help="SQL; omit it for an interactive shell."),
    output: OutputFormat = OUTPUT,
) -> None:
    """Run STATEMENT over the lake (tables are views named like the topics)."""
    engine = query_engine(settings())
    if statement is not None:
        _run(engine.query, statement, output)
        return
    console.print(f"lake tables: {', '.join(engine.tables()) or 'none yet'}; end with Ctrl-D")
    for text in _statements(sys.stdin):
        try:
            _run(engine.query, text, output)
        except TideError as e:
            errors.print(f"[red]error:[/red] {e}", highlight=False, soft_wrap=True)


def _run(query: Callable[[str], pa.Table], statement: str, output: OutputFormat) -> None:
    table = query(statement)
    emit_table(table.column_names, [tuple(r.values()) for r in table.to_pylist()], output)


def _statements(stream: TextIO) -> Iterator[str]:
    """Statements of a session: each ends with ';' (or with its line when input is not a tty)."""
    interactive = stream.isatty()
    buffer = ""
    if interactive:
        console.print("tide> ", end="")
    for line in stream:
        buffer += line
        text = buffer.strip()
        if text.endswith(";") or (text and not interactive):
            yield text.rstrip(";")
            buffer = ""
        if interactive:
            console.print("  ... " if buffer.strip() else "tide> ", end="")
