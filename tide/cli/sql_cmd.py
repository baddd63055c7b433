"""`tide sql`: read-only SQL over every lake table, with DuckDB (one statement, piped ones, or
the shell), under a statement timeout and a row limit."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import typer

from lake.errors import QueryTimeoutError
from lake.http.request import Ceilings
from lake.http.server import serve as serve_sql
from lake.query import QueryEngine
from lake.result import QueryResult
from registry.api.auth import BasicAuth
from tide import logs
from tide.cli.context import settings
from tide.cli.default_group import DefaultCommandGroup
from tide.cli.output import OutputFormat, console, emit_object, errors
from tide.cli.sql_limits import Limits, limits
from tide.cli.sql_output import SqlFormat, show_result
from tide.cli.sql_shell import SqlShell
from tide.errors import TideError
from tide.ops.lake import query_engine

app = typer.Typer(
    cls=DefaultCommandGroup,
    help='Read-only SQL over the lake: `tide sql "SELECT ..."`, or `tide sql` for a shell.',
)
FORMAT = typer.Option(
    SqlFormat.table, "--format", "--output", "-o", help="table (or text), json or csv."
)
OUT = typer.Option(
    None, "--out", help="Write the whole result (no row limit) to this new .parquet file."
)
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
AS_OF = typer.Option(
    None,
    "--as-of",
    help="Read the tables as they were: a snapshot id (`tide lake snapshots T`) or an "
    "ISO 8601 time (UTC unless it says otherwise).",
)
SHELL_ROWS = 100


def run_statement(engine: QueryEngine, statement: str, limit: Limits) -> QueryResult:
    """``statement`` under ``limit``; a timeout's message says how to change it."""
    try:
        return engine.run(statement, limit.max_rows, limit.timeout_s, limit.as_of)
    except QueryTimeoutError as e:
        raise QueryTimeoutError(f"{e} (--timeout to change, 0 for none)") from e


def export(engine: QueryEngine, statement: str, out: Path, limit: Limits, fmt: SqlFormat) -> None:
    """Every row of ``statement`` into ``out`` (Parquet), and what was written."""
    try:
        rows = engine.export(statement, out, limit.timeout_s, limit.as_of)
    except QueryTimeoutError as e:
        raise QueryTimeoutError(f"{e} (--timeout to change, 0 for none); {out} not written") from e
    shown = OutputFormat.json if fmt is SqlFormat.json else OutputFormat.text
    emit_object({"rows": rows, "file": str(out)}, shown)


@app.command("run")
def run(
    statement: str = typer.Argument(None, help="SQL; omit it for an interactive shell."),
    output: SqlFormat = FORMAT,
    max_rows: int | None = MAX_ROWS,
    timeout: str | None = TIMEOUT,
    out: Path | None = OUT,
    as_of: str | None = AS_OF,
) -> None:
    """Run STATEMENT over the lake (tables are views named like the topics); the default."""
    current = settings()
    limit = limits(current, max_rows, timeout, as_of)
    engine = query_engine(current)
    if statement is not None and out is not None:
        export(engine, statement, out, limit, output)
        return
    if statement is not None:
        show_result(run_statement(engine, statement, limit), output)
        return
    if out is not None:
        raise typer.BadParameter("--out needs a STATEMENT")
    if sys.stdin.isatty() and output in (SqlFormat.table, SqlFormat.text):
        shell = Limits(SHELL_ROWS if max_rows is None else max_rows, limit.timeout_s, limit.as_of)
        SqlShell(engine, current.data_dir / "sql_history", shell).run()
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


@app.command()
def serve(
    host: str = typer.Option(None, help="Bind address (default TIDE_SQL__HOST)."),
    port: int = typer.Option(None, help="Port (default TIDE_SQL__PORT, 8083)."),
) -> None:
    """Serve read-only SQL over HTTP until Ctrl-C: POST /query {"sql": ...}.

    TIDE_SQL__TIMEOUT_SECONDS and TIDE_SQL__MAX_ROWS are each request's default and ceiling;
    TIDE_SQL__USERS turns on basic auth (hashes from `tide registry hash-password`).
    """
    current = settings()
    host, port = host or current.sql.host, port or current.sql.port
    logs.configure(os.environ.get("TIDE_LOG_LEVEL", "INFO"))
    users = current.sql.users
    authorize = BasicAuth(users).allows if users else None  # checks the hashes first
    ceilings = Ceilings(current.sql.max_rows, current.sql.timeout_seconds)
    auth = "basic auth" if users else "no auth"
    console.print(
        f"SQL endpoint at http://{host}:{port}/query (read-only, {auth}) — Ctrl-C stops it"
    )
    serve_sql(query_engine(current), host, port, ceilings, authorize)
