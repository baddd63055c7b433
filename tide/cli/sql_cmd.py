"""`tide sql`: read-only SQL over every lake table, with DuckDB (one statement, piped ones, or
the shell), under a statement timeout and a row limit."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

import typer

from lake.errors import QueryTimeoutError
from lake.query import QueryEngine
from lake.result import QueryResult
from tide.cli.context import settings
from tide.cli.default_group import DefaultCommandGroup
from tide.cli.duration import parse_duration
from tide.cli.output import OutputFormat, errors
from tide.cli.sql_output import show_result
from tide.cli.sql_shell import SqlShell
from tide.errors import TideError
from tide.ops.lake import query_engine
from tide.settings import TideSettings

app = typer.Typer(
    cls=DefaultCommandGroup,
    help='Read-only SQL over the lake: `tide sql "SELECT ..."`, or `tide sql` for a shell.',
)
OUTPUT = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")
MAX_ROWS = typer.Option(
    None,
    "--max-rows",
    min=0,
    help="Rows kept; more are cut and the cut is said (0: all). "
    "Default TIDE_SQL__MAX_ROWS (10000); the shell's: 100.",
)
TIMEOUT = typer.Option(
    None,
    "--timeout",
    help="Stop a statement running longer (30s, 500ms, 2m; 0: never). "
    "Default TIDE_SQL__TIMEOUT_SECONDS (300).",
)
SHELL_ROWS = 100


@dataclass(frozen=True)
class Limits:
    max_rows: int
    timeout_s: float


def limits(current: TideSettings, max_rows: int | None, timeout: str | None) -> Limits:
    """The settings' limits, overridden by the flags given."""
    return Limits(
        current.sql.max_rows if max_rows is None else max_rows,
        current.sql.timeout_seconds if timeout is None else parse_duration(timeout),
    )


def run_statement(engine: QueryEngine, statement: str, limit: Limits) -> QueryResult:
    """``statement`` under ``limit``; a timeout's message says how to change it."""
    try:
        return engine.run(statement, limit.max_rows, limit.timeout_s)
    except QueryTimeoutError as e:
        raise QueryTimeoutError(f"{e} (--timeout to change, 0 for none)") from e


@app.command("run")
def run(
    statement: str = typer.Argument(None, help="SQL; omit it for an interactive shell."),
    output: OutputFormat = OUTPUT,
    max_rows: int | None = MAX_ROWS,
    timeout: str | None = TIMEOUT,
) -> None:
    """Run STATEMENT over the lake (tables are views named like the topics); the default."""
    current = settings()
    limit = limits(current, max_rows, timeout)
    engine = query_engine(current)
    if statement is not None:
        show_result(run_statement(engine, statement, limit), output)
        return
    if sys.stdin.isatty() and output is OutputFormat.text:
        rows = SHELL_ROWS if max_rows is None else max_rows
        SqlShell(engine, current.data_dir / "sql_history", rows, limit.timeout_s).run()
        return
    for text in _statements(sys.stdin):  # piped statements: each line, or up to each ';'
        try:
            show_result(run_statement(engine, text, limit), output)
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
