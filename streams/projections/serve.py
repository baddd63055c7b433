"""Run a group member (a ProjectionWorker's books) and its HTTP API in one process until stopped
(Ctrl-C, SIGTERM): the read models (`tide projections serve`) or the order commands
(`tide orders serve`)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from producers.deserializer import AvroDeserializer
from producers.registry_client import RegistryClient
from streams.ownership.directory import OwnerDirectory
from streams.projections.http_api import create_app
from streams.projections.worker import ProjectionSettings, ProjectionWorker

log = logging.getLogger(__name__)


def owners_of(settings: ProjectionSettings, me: str) -> OwnerDirectory:
    """The directory of who owns which partition, among the members of ``settings``' group."""
    return OwnerDirectory(settings.bootstrap_servers, f"_tide-{settings.role}-{settings.source}"
                          "-owners", me, settings.replication_factor)  # fmt: skip


def run_member(
    worker: ProjectionWorker,
    owners: OwnerDirectory,
    app: FastAPI,
    host: str,
    port: int,
    announce: Callable[[str], None],
) -> None:
    """Serve ``app`` while ``worker`` keeps its books; the worker's error stops the process."""
    stop = worker.stop_event
    failed: list[BaseException] = []
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    )
    owners.start()
    worker.on_assigned.append(owners.claim)

    def work() -> None:
        try:
            worker.run()
        except BaseException as e:  # the process stops with the worker's error
            failed.append(e)
            log.error("group member failed", extra={"error": str(e)})
            server.should_exit = True

    thread = threading.Thread(target=work, name=worker.settings.role, daemon=True)
    thread.start()
    announce(f"{worker.settings.role} of {worker.settings.source} serving on {owners.me}")
    try:
        server.run()
    finally:
        stop.set()
        thread.join(30)
        owners.stop()
    if failed:
        raise failed[0]


def serve(
    settings: ProjectionSettings,
    host: str,
    port: int,
    announce: Callable[[str], None],
    advertise: str | None = None,
) -> None:
    worker = ProjectionWorker(settings, threading.Event())
    owners = owners_of(settings, advertise or f"http://{host}:{port}")
    with RegistryClient(settings.registry_url) as registry:
        app = create_app(worker, owners, AvroDeserializer(registry))
        run_member(worker, owners, app, host, port, announce)
