"""The interactive `tide sql` shell: line editing and history (prompt_toolkit), dot commands,
Ctrl-C that cancels instead of quitting, and a display row limit.

A statement ends with ``;`` and may span lines. Ctrl-C at the prompt clears what was typed;
during a query it asks DuckDB to stop it, which DuckDB honours at its next check (some long
operators finish first) — either way the shell stays. Ctrl-D quits. History is kept in
``<data dir>/sql_history``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory

from tide.cli.output import OutputFormat, console, emit_table, errors
from tide.errors import TideError

HELP = """\
  SQL ending with ;     run it (tables are views named like their topics; read only)
  .tables               the lake's tables
  .schema TABLE         a table's columns and types
  .maxrows N            show at most N rows of a result (0: all)
  .help                 this text
  .quit, Ctrl-D         leave; Ctrl-C clears the line, or cancels the running query"""


class SqlShell:
    def __init__(
        self,
        query: Callable[[str], pa.Table],
        tables: Callable[[], list[str]],
        history: Path,
        max_rows: int,
    ) -> None:
        self._query = query
        self._tables = tables
        self.max_rows = max_rows
        history.parent.mkdir(parents=True, exist_ok=True)
        self._session: PromptSession[str] = PromptSession(history=FileHistory(str(history)))

    def run(self) -> None:
        console.print(
            f"lake tables: {', '.join(self._tables()) or 'none yet'}; "
            "end statements with ;  .help for commands, Ctrl-D to leave"
        )
        while True:
            try:
                text = self._read()
            except KeyboardInterrupt:
                continue  # the line is cleared, the shell stays
            except EOFError:
                return
            if text and not self._command(text):
                return

    def _read(self) -> str:
        """One statement (up to its ``;``, over several lines) or one dot command."""
        lines = [self._session.prompt("tide> ")]
        while not _complete("\n".join(lines)):
            lines.append(self._session.prompt("  ... "))
        return "\n".join(lines).strip()

    def _command(self, text: str) -> bool:
        """Run a statement or a dot command; False when the shell should end."""
        word, _, rest = text.partition(" ")
        if word in (".quit", ".exit"):
            return False
        if word == ".help":
            console.print(HELP, highlight=False)
        elif word == ".tables":
            console.print("\n".join(self._tables()) or "(no tables yet)", highlight=False)
        elif word == ".schema" and rest.strip():
            self._show(f'DESCRIBE "{rest.strip().rstrip(";")}"')
        elif word == ".maxrows" and rest.strip().isdigit():
            self.max_rows = int(rest)
        elif word.startswith("."):
            errors.print(f"[red]error:[/red] unknown command {word!r} (.help lists them)")
        else:
            self._show(text.rstrip().rstrip(";"))
        return True

    def _show(self, statement: str) -> None:
        try:
            table = self._query(statement)
        except (KeyboardInterrupt, duckdb.InterruptException):
            errors.print("query cancelled")
            return
        except RuntimeError as e:  # DuckDB's own reaction to Ctrl-C
            errors.print("query cancelled" if "interrupted" in str(e).lower() else f"error: {e}")
            return
        except TideError as e:
            errors.print(f"[red]error:[/red] {e}", highlight=False, soft_wrap=True)
            return
        show_rows(table, OutputFormat.text, self.max_rows)


def show_rows(table: pa.Table, output: OutputFormat, max_rows: int) -> None:
    """The result, at most ``max_rows`` rows of it in text (0: all), with a note of the rest."""
    shown = table if output is OutputFormat.json or max_rows <= 0 else table.slice(0, max_rows)
    emit_table(shown.column_names, [tuple(r.values()) for r in shown.to_pylist()], output)
    if shown.num_rows < table.num_rows:
        errors.print(
            f"({shown.num_rows:,} of {table.num_rows:,} rows shown; "
            "--max-rows N, or .maxrows N in the shell, shows more)"
        )


def _complete(text: str) -> bool:
    stripped = text.strip()
    return not stripped or stripped.startswith(".") or stripped.endswith(";")
