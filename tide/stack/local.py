"""The embedded local stack: one broker and one registry on this machine."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from tide.stack.broker import EmbeddedBroker
from tide.stack.ports import free_port
from tide.stack.registry_process import RegistryProcess

log = logging.getLogger(__name__)


@dataclass
class LocalStack:
    """Start with ``with LocalStack(...) as stack``; ports 0 pick free ones."""

    data_dir: Path
    broker_port: int = 0
    registry_port: int = 0
    broker: EmbeddedBroker = field(init=False)
    registry: RegistryProcess = field(init=False)

    def __post_init__(self) -> None:
        self.broker = EmbeddedBroker(self.broker_port or free_port(), self.data_dir)
        self.registry = RegistryProcess(
            self.registry_port or free_port(),
            self.data_dir / "registry.sqlite",
            self.data_dir / "logs",
        )

    @property
    def bootstrap_servers(self) -> str:
        return self.broker.bootstrap_servers

    @property
    def registry_url(self) -> str:
        return self.registry.url

    def __enter__(self) -> LocalStack:
        self.broker.start()
        try:
            self.registry.start()
        except BaseException:
            self.broker.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.registry.stop()
        self.broker.stop()
