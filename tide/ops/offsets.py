"""The operator tools' clients; topic metadata is ``producers.topics``, where the partitions
begin and end ``producers.partition_bounds``."""

from __future__ import annotations

import uuid
from typing import Any

from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient

from producers.admin_clients import shared_admin


def reader(bootstrap_servers: str, **extra: Any) -> Consumer:
    """A consumer that is assigned partitions, never joins a group and never commits."""
    config: dict[str, Any] = {
        "bootstrap.servers": bootstrap_servers,
        "group.id": f"tide-inspect-{uuid.uuid4().hex}",  # required by the client; never joined
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "earliest",
        "log_level": 0,
        **extra,
    }
    return Consumer(config)


def admin(bootstrap_servers: str) -> AdminClient:
    """The process's admin client of ``bootstrap_servers`` (``producers.admin_clients``)."""
    return shared_admin(bootstrap_servers)
