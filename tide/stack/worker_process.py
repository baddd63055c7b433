"""A stream worker as a child process (`python -m tide worker`) configured by environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tide.stack.process import ServerProcess


def worker_env(
    bootstrap_servers: str, registry_url: str, data_dir: Path, idle_close_s: float
) -> dict[str, str]:
    return {
        **os.environ,
        "TIDE_KAFKA__BOOTSTRAP_SERVERS": bootstrap_servers,
        "TIDE_REGISTRY__URL": registry_url,
        "TIDE_DATA_DIR": str(data_dir),
        "TIDE_STREAMS__IDLE_CLOSE_SECONDS": str(idle_close_s),
        "TIDE_LOG_LEVEL": "INFO",
    }


class WorkerProcess:
    """One stream worker; it is 'ready' once its log says it started."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self._process = ServerProcess(
            "worker", [sys.executable, "-m", "tide", "worker"], log_path, env
        )
        self.log_path = log_path

    def start(self, timeout_s: float = 60.0) -> None:
        self._process.start(self._started, timeout_s)

    def _started(self) -> bool:
        try:
            return "worker starting" in self.log_path.read_text(errors="replace")
        except OSError:
            return False

    def stop(self) -> None:
        self._process.stop(timeout_s=20.0)

    def kill(self) -> None:
        self._process.kill()
