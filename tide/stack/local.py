"""The embedded local stack: one broker and one registry on this machine.

The broker is Tansu (in memory, nothing to install) or, with ``broker_kind="kafka"``, a
one-node Apache Kafka whose data lives in ``<data_dir>/kafka`` and survives a restart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal, Protocol

from tide.stack.broker import EmbeddedBroker
from tide.stack.kafka import KafkaCluster
from tide.stack.kafka_dist import KAFKA_VERSION
from tide.stack.ports import free_port
from tide.stack.registry_process import RegistryProcess

log = logging.getLogger(__name__)

BrokerKind = Literal["tansu", "kafka"]


class Broker(Protocol):
    """What the stack needs of a broker, embedded or Apache Kafka."""

    @property
    def bootstrap_servers(self) -> str: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def alive(self) -> bool: ...

    @property
    def pid(self) -> int | None: ...


@dataclass
class LocalStack:
    """Start with ``with LocalStack(...) as stack``; ports 0 pick free ones."""

    data_dir: Path
    broker_port: int = 0
    registry_port: int = 0
    broker_kind: BrokerKind = "tansu"
    broker: Broker = field(init=False)
    registry: RegistryProcess = field(init=False)

    def __post_init__(self) -> None:
        if self.broker_kind == "kafka":
            self.broker = KafkaCluster(self.data_dir / "kafka", node0_port=self.broker_port or None)
        else:
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

    @property
    def broker_durable(self) -> bool:
        """True when the broker's records survive a restart of the stack."""
        return self.broker_kind == "kafka"

    @property
    def broker_description(self) -> str:
        """Which broker runs and where its records live, for one line on screen."""
        if self.broker_kind == "kafka":
            return f"Apache Kafka {KAFKA_VERSION}, durable in {self.data_dir / 'kafka'}"
        return "Tansu, in-memory"

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
