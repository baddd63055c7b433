"""An HTTP service of the stack as a child process (`tide orders serve`, `tide projections
serve`), ready once its `/metrics` answers."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

from tide.stack.process import ServerProcess


def service_answers(url: str) -> bool:
    """True when the service at ``url`` answers its `/metrics`."""
    try:
        return httpx.get(f"{url}/metrics", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


class ServiceProcess:
    def __init__(self, name: str, args: list[str], port: int, env: dict[str, str],
                 log_path: Path) -> None:  # fmt: skip
        self.name = name
        self.url = f"http://127.0.0.1:{port}"
        argv = [sys.executable, "-m", "tide", *args, "--port", str(port)]
        self._process = ServerProcess(name, argv, log_path, env)

    def start(self, timeout_s: float = 60.0) -> None:
        self._process.start(self._answers, timeout_s)

    def _answers(self) -> bool:
        return service_answers(self.url)

    @property
    def running(self) -> bool:
        return self._process.running

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def stop(self) -> None:
        self._process.stop(timeout_s=30.0)
