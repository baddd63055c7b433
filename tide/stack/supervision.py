"""Watching the children of `tide up`: a death is noticed at the next poll (every half second),
reported, and the child restarted with exponential backoff (1 s, doubling to 30 s; back to 1 s
once it has stayed up a minute). What the supervisor knows is written to ``<data dir>/stack.json``
for `tide status` and `tide down` in other terminals.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tide.stack.errors import StackError

FIRST_DELAY_S = 1.0
MAX_DELAY_S = 30.0
STABLE_S = 60.0


@dataclass
class Child:
    """One supervised process: how to tell it is alive, and how to bring it back."""

    name: str
    address: str
    alive: Callable[[], bool]
    restart: Callable[[], None]  # raises StackError when it does not come back
    pid: Callable[[], int | None]
    restarts: int = 0
    state: str = "running"  # running | dead (waiting for its next try)
    up_since: float = field(default_factory=time.monotonic)
    delay_s: float = FIRST_DELAY_S
    next_try: float = 0.0


class Supervisor:
    def __init__(self, children: list[Child], clock: Callable[[], float] = time.monotonic) -> None:
        self.children = children
        self._clock = clock

    def poll(self) -> list[str]:
        """Notice deaths, restart what is due; one line per event, for the screen."""
        now = self._clock()
        events: list[str] = []
        for child in self.children:
            if child.state == "running":
                if child.alive():
                    if now - child.up_since >= STABLE_S:
                        child.delay_s = FIRST_DELAY_S
                    continue
                child.state, child.next_try = "dead", now + child.delay_s
                events.append(f"{child.name} died — restarting in {child.delay_s:.0f} s")
            elif now >= child.next_try:
                events.append(self._restart(child))
        return events

    def _restart(self, child: Child) -> str:
        try:
            child.restart()
        except StackError as e:
            child.delay_s = min(child.delay_s * 2, MAX_DELAY_S)
            child.next_try = self._clock() + child.delay_s
            return f"{child.name} did not come back ({e}); next try in {child.delay_s:.0f} s"
        child.restarts += 1
        child.state, child.up_since = "running", self._clock()
        child.delay_s = min(child.delay_s * 2, MAX_DELAY_S)
        return f"{child.name} back at {child.address} (restarts: {child.restarts})"

    def snapshot(self) -> list[dict[str, Any]]:
        return [
            {"name": c.name, "address": c.address, "state": c.state, "pid": c.pid(),
             "restarts": c.restarts}
            for c in self.children
        ]  # fmt: skip


def write_state(path: Path, children: list[dict[str, Any]], started_at: float) -> None:
    """Atomically: the `tide up` process, when it started, and its children."""
    state = {"pid": os.getpid(), "started_at": started_at, "children": children}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state))
    temporary.replace(path)


def read_state(path: Path) -> dict[str, Any] | None:
    """What a running `tide up` last wrote; None when none runs (no file, or its pid is gone)."""
    try:
        state: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return state if pid_alive(int(state.get("pid", 0))) else None


def pid_alive(pid: int) -> bool:
    """The process exists and has not exited (a zombie, exited but not yet reaped, has)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc here: existing is all we can tell
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"
