"""`tide orders serve`: the command side of orders — a member of the command group on the orders
topic, deciding on the orders of the partitions it owns and appending their events."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from producers.config import ProducerConfig
from producers.deserializer import AvroDeserializer
from producers.publisher import PublisherConfig, build_publisher
from producers.registry_client import RegistryClient
from schemas.loader import load
from streams.orders.commands import OrderCommands
from streams.orders.history import LakeOpener, OrderHistory
from streams.orders.http_api import create_app
from streams.projections.serve import owners_of, run_member
from streams.projections.worker import ProjectionSettings, ProjectionWorker

log = logging.getLogger(__name__)


def serve(
    settings: ProjectionSettings,
    outbox: Path,
    host: str,
    port: int,
    announce: Callable[[str], None],
    advertise: str | None = None,
    lake: LakeOpener | None = None,
) -> None:
    contract = load("orders")
    registry = RegistryClient(settings.registry_url)
    publisher = build_publisher(
        PublisherConfig(ProducerConfig(settings.bootstrap_servers, linger_ms=0), outbox),
        registry,
        {settings.source: (f"{settings.source}-value", contract.schema_str)},
    )
    publisher.flush()
    left = publisher.pending()
    if left:  # kept by an earlier run: decisions made now would not see them
        log.warning("outbox not empty at start", extra={"events": left})
    worker = ProjectionWorker(settings, threading.Event())
    commands = OrderCommands(worker, publisher, settings.source)
    owners = owners_of(settings, advertise or f"http://{host}:{port}")

    def replay() -> None:
        while not worker.stop_event.wait(1.0):
            commands.tick()

    threading.Thread(target=replay, name="outbox", daemon=True).start()
    try:
        history = OrderHistory(worker, AvroDeserializer(registry), lake)
        app = create_app(commands, owners, history)
        run_member(worker, owners, app, host, port, announce)
    finally:
        publisher.close()
        registry.close()
