"""Serve the console with uvicorn until SIGINT/SIGTERM."""

from __future__ import annotations

import logging

import uvicorn

from tide.console.app import create_app
from tide.console.context import ConsoleContext

log = logging.getLogger(__name__)


def serve(ctx: ConsoleContext, host: str, port: int) -> None:
    """The console at http://host:port/ (blocking)."""
    config = uvicorn.Config(
        create_app(ctx), host=host, port=port, log_level="warning", access_log=False
    )
    log.info("console starting", extra={"url": f"http://{host}:{port}/"})
    uvicorn.Server(config).run()
