"""Run a projection worker and its read API in one process until stopped (Ctrl-C, SIGTERM)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import uvicorn

from streams.projections.http_api import create_app
from streams.projections.worker import ProjectionSettings, ProjectionWorker

log = logging.getLogger(__name__)


def serve(
    settings: ProjectionSettings, host: str, port: int, announce: Callable[[str], None]
) -> None:
    stop = threading.Event()
    worker = ProjectionWorker(settings, stop)
    failed: list[BaseException] = []
    config = uvicorn.Config(
        create_app(worker), host=host, port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)

    def work() -> None:
        try:
            worker.run()
        except BaseException as e:  # the process stops with the worker's error
            failed.append(e)
            log.error("projection worker failed", extra={"error": str(e)})
            server.should_exit = True

    thread = threading.Thread(target=work, name="projections", daemon=True)
    thread.start()
    announce(f"projections of {settings.source} serving on http://{host}:{port}")
    try:
        server.run()
    finally:
        stop.set()
        thread.join(30)
    if failed:
        raise failed[0]
