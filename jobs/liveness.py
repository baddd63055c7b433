"""Is the process that runs a job still there? By pid on this host, not fooled by a reused pid.

A job records its pid, its host and its process's start time (``/proc/<pid>/stat``, where the
system has it); the job is alive while a process with that pid and that start time runs on
that host. A zombie (dead, not yet reaped) counts as gone. Jobs of another host cannot be
checked from here and count as alive.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Runner:
    pid: int
    host: str
    started: str | None  # the process's start time in clock ticks since boot, if known


def this_process() -> Runner:
    return process(os.getpid())


def process(pid: int) -> Runner:
    """The process ``pid`` of this host (a child just started, say)."""
    return Runner(pid, socket.gethostname(), _stat(pid)[1])


def is_gone(runner: Runner) -> bool:
    """True only if ``runner`` ran on this host and no longer runs."""
    if runner.host != socket.gethostname():
        return False
    try:
        os.kill(runner.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process: the pid is taken
        pass
    state, started = _stat(runner.pid)
    if state == "Z":
        return True
    return runner.started is not None and started is not None and started != runner.started


def _stat(pid: int) -> tuple[str | None, str | None]:
    """The process state letter and start time from /proc (None, None without /proc)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None, None
    fields = raw[raw.rfind(")") + 2 :].split()  # after "pid (comm) "
    return fields[0], fields[19]  # state; starttime is field 22 of the whole line
