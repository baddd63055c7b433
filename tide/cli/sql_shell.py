"""The interactive `tide sql` shell: line editing and history (prompt_toolkit), dot commands,
Ctrl-C that cancels instead of quitting, a row limit and a statement timeout.

A statement ends with ``;`` and may span lines. Ctrl-C at the prompt clears what was typed;
during a query it asks DuckDB to stop it, which DuckDB honours at its next check (some long
operators finish first) — either way the shell stays. Ctrl-D quits. History is kept in
``<data dir>/sql_history``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory

from lake.errors import QueryCancelledError
from lake.query import QueryEngine
from tide.cli.duration import parse_duration
from tide.cli.output import console, errors
from tide.cli.sql_limits import Limits
from tide.cli.sql_output import SqlFormat, show_result
from tide.errors import TideError

HELP = """\
  SQL ending with ;     run it (tables are views named like their topics; read only)
  .tables               the lake's tables
  .schema TABLE         a table's columns and types
  .maxrows N            keep at most N rows of a result (0: all)
  .timeout D            stop statements running longer than D (30s, 2m; 0: never)
  .help                 this text
  .quit, Ctrl-D         leave; Ctrl-C clears the line, or cancels the running query"""


class SqlShell:
    def __init__(self, engine: QueryEngine, history: Path, limits: Limits) -> None:
        self._engine = engine
        self._tables = engine.tables
        self.limits = limits
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
            self.limits = replace(self.limits, max_rows=int(rest))
        elif word == ".timeout" and rest.strip():
            self._set_timeout(rest)
        elif word.startswith("."):
            errors.print(f"[red]error:[/red] unknown command {word!r} (.help lists them)")
        else:
            self._show(text.rstrip().rstrip(";"))
        return True

    def _set_timeout(self, text: str) -> None:
        try:
            timeout_s = parse_duration(text.strip().rstrip(";"), ".timeout")
            self.limits = replace(self.limits, timeout_s=timeout_s)
        except TideError as e:
            errors.print(f"[red]error:[/red] {e}", highlight=False, soft_wrap=True)

    def _show(self, statement: str) -> None:
        try:
            limits = self.limits
            result = self._engine.run(statement, limits.max_rows, limits.timeout_s, limits.as_of)
        except (KeyboardInterrupt, QueryCancelledError):
            errors.print("query cancelled")
            return
        except TideError as e:
            errors.print(f"[red]error:[/red] {e}", highlight=False, soft_wrap=True)
            return
        show_result(result, SqlFormat.table, ".maxrows N")


def _complete(text: str) -> bool:
    stripped = text.strip()
    return not stripped or stripped.startswith(".") or stripped.endswith(";")
