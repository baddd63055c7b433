"""A stream worker as a child process (`python -m tide worker`) configured by environment."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tide.stack.process import ServerProcess


def worker_env(
    bootstrap_servers: str,
    registry_url: str,
    data_dir: Path,
    idle_timeout_s: float,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    return {
        **os.environ,
        "TIDE_KAFKA__BOOTSTRAP_SERVERS": bootstrap_servers,
        "TIDE_REGISTRY__URL": registry_url,
        "TIDE_DATA_DIR": str(data_dir),
        "TIDE_STREAMS__IDLE_TIMEOUT_SECONDS": str(idle_timeout_s),
        "TIDE_LOG_LEVEL": "INFO",
        **(extra or {}),
    }


class WorkerProcess:
    """One stream worker (`args` are `tide worker`'s, e.g. ``["--job", "clicks_per_minute"]``).

    It is ready once it logged that it started; every start after the first (a restart after
    ``kill``) writes a log of its own next to the first (``worker.2.log``, ...).
    """

    def __init__(self, env: dict[str, str], log_path: Path, args: Sequence[str] = ()) -> None:
        self._env = env
        self._argv = [sys.executable, "-m", "tide", "worker", *args]
        self._first_log = log_path
        self.log_path = log_path
        self.starts = 0
        self._process: ServerProcess | None = None

    def start(self, timeout_s: float = 60.0) -> None:
        self.starts += 1
        if self.starts > 1:
            self.log_path = self._first_log.with_suffix(f".{self.starts}{self._first_log.suffix}")
        self._process = ServerProcess("worker", self._argv, self.log_path, self._env)
        self._process.start(self._started, timeout_s)

    def _started(self) -> bool:
        try:
            return "worker starting" in self.log_path.read_text(errors="replace")
        except OSError:
            return False

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.running

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop(timeout_s=30.0)

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()
