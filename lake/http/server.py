"""Serve `POST /query` with uvicorn until SIGINT/SIGTERM."""

from __future__ import annotations

import logging

import uvicorn

from lake.http.app import Authorize, create_app
from lake.http.request import Ceilings
from lake.query import QueryEngine

log = logging.getLogger(__name__)


def serve(
    engine: QueryEngine,
    host: str,
    port: int,
    ceilings: Ceilings,
    authorize: Authorize | None = None,
) -> None:
    """Answer queries over ``engine`` at http://host:port/query (blocking)."""
    app = create_app(engine, ceilings, authorize)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    log.info("sql endpoint starting", extra={
        "url": f"http://{host}:{port}/query", "auth": "basic" if authorize else "off",
        "max_rows": ceilings.max_rows, "timeout_s": ceilings.timeout_s,
    })  # fmt: skip
    try:
        uvicorn.Server(config).run()
    finally:
        engine.close()
