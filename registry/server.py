"""Run the registry over HTTP with uvicorn."""

from __future__ import annotations

import logging
from pathlib import Path

import uvicorn

from registry.api.app import create_app
from registry.service import Registry
from registry.storage.sqlite import SqliteSchemaStore

log = logging.getLogger(__name__)


def serve(host: str, port: int, database: Path) -> None:
    """Serve until SIGINT/SIGTERM (blocking)."""
    store = SqliteSchemaStore(database)
    app = create_app(Registry(store))
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    log.info("registry starting", extra={"url": f"http://{host}:{port}", "database": database})
    try:
        server.run()
    finally:
        store.close()
