"""The schema registry as a child process (`python -m registry`), ready when it answers HTTP."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx

from producers.tls import shared_ssl_context
from registry.server import KafkaStoreOptions
from tide.stack.process import ServerProcess


def registry_answers(url: str) -> bool:
    """True when a schema registry answers ``GET /subjects`` at ``url`` (401: it is up, and
    wants credentials)."""
    try:
        answer = httpx.get(f"{url}/subjects", timeout=1.0, verify=shared_ssl_context())
        return answer.status_code in (200, 401)
    except httpx.HTTPError:
        return False


class RegistryProcess:
    """Our registry server on ``127.0.0.1:port``, storing in ``database`` or in a Kafka log
    shared with other instances (``kafka``; its advertised URL is this instance's)."""

    def __init__(
        self,
        port: int,
        database: Path | None,
        log_dir: Path,
        kafka: KafkaStoreOptions | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.url = f"http://127.0.0.1:{port}"
        argv = [sys.executable, "-m", "registry", "--host", "127.0.0.1", "--port", str(port)]
        if kafka is not None:
            argv += [
                "--bootstrap-servers", kafka.bootstrap_servers, "--topic", kafka.topic,
                "--advertised-url", self.url, "--lease-seconds", str(kafka.lease_s),
                "--replication-factor", str(kafka.replication_factor),
            ]  # fmt: skip
        if database is not None:
            argv += ["--database", str(database)]
        self.process = ServerProcess(
            "registry", argv, log_dir / f"registry-{port}.log", {**os.environ, **(env or {})}
        )

    def start(self, timeout_s: float = 30.0) -> None:
        self.process.start(lambda: registry_answers(self.url), timeout_s)

    def stop(self) -> None:
        self.process.stop()
