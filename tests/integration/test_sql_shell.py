"""The `tide sql` shell in a real terminal (a pty, driven by pexpect): history with the arrow
keys, Ctrl-C that clears the line and keeps the shell, dot commands, a row limit, a timeout."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

UP = "\x1b[A"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # the terminal's cursor moves and colours
PROMPT = "tide>"  # prompt_toolkit draws the space as a cursor move


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[pexpect.spawn]:
    env = {**os.environ, "TIDE_DATA_DIR": str(tmp_path), "TERM": "xterm", "NO_COLOR": "1",
           "PROMPT_TOOLKIT_NO_CPR": "1"}  # fmt: skip
    child = pexpect.spawn(
        sys.executable, ["-m", "tide", "sql"], env=env, encoding="utf-8", timeout=60,
        dimensions=(50, 200),
    )  # fmt: skip
    child.expect("Ctrl-D to leave")
    child.expect_exact(PROMPT)
    yield child
    child.close(force=True)


def ask(child: pexpect.spawn, line: str) -> str:
    """Send a line, return what the shell printed for it: up to the result of a marker query
    sent after it (its value, ``sync<n>``, appears only in a result, not in what was typed)."""
    ask.sent = getattr(ask, "sent", 0) + 1  # type: ignore[attr-defined]
    marker = f"sync{ask.sent}"  # type: ignore[attr-defined]
    child.send(line + "\r")
    child.send(f"SELECT 'sync' || '{marker[4:]}' AS marker;\r")
    child.expect_exact(marker)
    out = ANSI.sub("", str(child.before))
    child.expect_exact(PROMPT)
    return out


def test_history_recalls_the_last_statement_with_the_up_arrow(shell: pexpect.spawn) -> None:
    assert "4242" in ask(shell, "SELECT 4200 + 42 AS answer;")
    # two entries back (the last one is ask's marker query): recalled and run again
    assert "4242" in ask(shell, UP + UP)
    assert "4242" not in ask(shell, "SELECT 1 AS one;")


def test_ctrl_c_clears_the_line_and_the_shell_stays(shell: pexpect.spawn) -> None:
    shell.send("SELECT 'never' || 'run' AS cleared")
    shell.sendcontrol("c")
    shell.expect_exact(PROMPT)
    out = ask(shell, "SELECT 7 * 6 AS n;")
    assert "42" in out and "neverrun" not in out  # typed, then cleared: never run
    shell.send("SELECT\r")  # a statement over two lines, abandoned on the second
    shell.expect_exact("...")
    shell.sendcontrol("c")
    shell.expect_exact(PROMPT)
    assert "99" in ask(shell, "SELECT 99;")


def test_dot_commands_and_the_row_limit(shell: pexpect.spawn) -> None:
    assert "(no tables yet)" in ask(shell, ".tables")
    assert ".schema TABLE" in ask(shell, ".help")
    assert "unknown command '.nope'" in ask(shell, ".nope")
    out = ask(shell, "SELECT range AS i FROM range(250);")
    assert "(showing the first 100 rows; the result has more — .maxrows N to change" in out
    assert "│ 99 " in out and "│ 100 " not in out  # the rows, not the note
    ask(shell, ".maxrows 0")
    out = ask(shell, "SELECT range AS i FROM range(250);")
    assert " 249 " in out and "showing" not in out
    assert "error: only read-only queries are allowed" in ask(shell, "CREATE TABLE t (a INT);")


def test_a_statement_past_the_timeout_is_stopped_and_the_shell_stays(
    shell: pexpect.spawn,
) -> None:
    ask(shell, ".timeout 500ms")
    out = ask(shell, "SELECT count(*) FROM range(100000000) a, range(100000000) b;")
    assert "ran past its timeout of 0.5 s and was stopped" in out
    assert "error: .timeout 'soon' is not a duration" in ask(shell, ".timeout soon")
    ask(shell, ".timeout 0")
    assert "4242" in ask(shell, "SELECT 4242;")


def test_ctrl_d_leaves(shell: pexpect.spawn) -> None:
    shell.sendcontrol("d")
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0
