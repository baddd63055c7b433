"""`tide status` and `tide down`: the running `tide up` of this data dir, seen or stopped from any
terminal (through ``<data dir>/stack.json``, which `tide up` keeps current)."""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime
from typing import Any

import typer

from tide.cli.context import settings
from tide.cli.output import OutputFormat, console, emit_table
from tide.stack.errors import StackError
from tide.stack.health import child_health
from tide.stack.supervision import pid_alive, read_state

OUTPUT = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")
DOWN_WAIT_S = 60.0


def _running() -> tuple[dict[str, Any], str]:
    data_dir = settings().data_dir.resolve()
    state = read_state(data_dir / "stack.json")
    if state is None:
        raise StackError(f"no `tide up` runs for {data_dir} (start one with `tide up`)")
    return state, str(data_dir)


def status(output: OutputFormat = OUTPUT) -> None:
    """What `tide up` runs, each part's address, whether it answers now, and its restarts."""
    state, data_dir = _running()
    rows = [(c["name"], child_health(c), c["address"], c["pid"], c["restarts"])
            for c in state["children"]]  # fmt: skip
    since = datetime.fromtimestamp(state["started_at"], UTC).isoformat(timespec="seconds")
    title = f"tide up (pid {state['pid']}, since {since}, data dir {data_dir})"
    emit_table(["part", "health", "address", "pid", "restarts"], rows, output, title=title)
    if any(row[1] != "healthy" for row in rows):
        raise typer.Exit(1)


def down() -> None:
    """Stop the running `tide up` (and everything it started); waits until it is gone."""
    state, _ = _running()
    pid = int(state["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + DOWN_WAIT_S
    while pid_alive(pid):
        if time.monotonic() > deadline:
            raise StackError(f"`tide up` (pid {pid}) still runs after {DOWN_WAIT_S:.0f} s")
        time.sleep(0.1)  # polling interval of the condition
    console.print(f"stopped `tide up` (pid {pid})")
