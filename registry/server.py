"""Run the registry over HTTP with uvicorn, on its embedded SQLite store or a shared Kafka log."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from registry.api.app import create_app
from registry.api.auth import check_hashes
from registry.service import Registry
from registry.storage.base import SchemaStore
from registry.storage.kafka_log import KafkaSchemaStore
from registry.storage.sqlite import SqliteSchemaStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KafkaStoreOptions:
    bootstrap_servers: str
    topic: str
    advertised_url: str
    lease_s: float = 3.0
    replication_factor: int = 1


def serve(
    host: str,
    port: int,
    database: Path | None = None,
    kafka: KafkaStoreOptions | None = None,
    users: Mapping[str, str] | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM (blocking). ``kafka`` given: share its log with others.
    ``users`` (name -> password hash): require basic auth."""
    check_hashes(users or {})
    store: SchemaStore
    if kafka is not None:
        store = KafkaSchemaStore(
            kafka.bootstrap_servers,
            kafka.topic,
            kafka.advertised_url,
            lease_s=kafka.lease_s,
            heartbeat_s=min(0.5, kafka.lease_s / 4),  # several heartbeats fit in a lease
            replication_factor=kafka.replication_factor,
        )
        app = create_app(Registry(store), replica=store, users=users)
        where = {"topic": kafka.topic, "advertised": kafka.advertised_url}
    elif database is not None:
        store = SqliteSchemaStore(database)
        app = create_app(Registry(store), users=users)
        where = {"database": str(database)}
    else:
        raise ValueError("a registry needs a database or a Kafka log")
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    where["auth"] = "basic" if users else "off"
    log.info("registry starting", extra={"url": f"http://{host}:{port}", **where})
    try:
        server.run()
    finally:
        store.close()
