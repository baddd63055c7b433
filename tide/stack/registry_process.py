"""The schema registry as a child process (`python -m registry`), ready when it answers HTTP."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

from tide.stack.process import ServerProcess


def registry_answers(url: str) -> bool:
    """True when a schema registry answers ``GET /subjects`` at ``url``."""
    try:
        return httpx.get(f"{url}/subjects", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


class RegistryProcess:
    """Our registry server on ``127.0.0.1:port``, storing in ``database``."""

    def __init__(self, port: int, database: Path, log_dir: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        argv = [
            sys.executable, "-m", "registry",
            "--host", "127.0.0.1", "--port", str(port), "--database", str(database),
        ]  # fmt: skip
        self._process = ServerProcess("registry", argv, log_dir / f"registry-{port}.log")

    def start(self, timeout_s: float = 30.0) -> None:
        self._process.start(lambda: registry_answers(self.url), timeout_s)

    def stop(self) -> None:
        self._process.stop()
