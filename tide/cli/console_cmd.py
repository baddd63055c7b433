"""`tide console`: the web console of the whole pipeline, on one screen."""

from __future__ import annotations

import os

import typer

from tide import logs
from tide.cli.context import settings
from tide.cli.output import console as screen
from tide.console.context import ConsoleContext
from tide.console.errors import ConsoleError
from tide.console.server import serve
from tide.stack.port_check import holder, taken


def console(
    host: str = typer.Option("127.0.0.1", help="Bind address."),
    port: int = typer.Option(None, help="Port (default TIDE_CONSOLE__PORT, 8088)."),
    worker: list[str] = typer.Option(  # noqa: B008
        [],
        "--worker",
        help="A window worker's /metrics URL (repeatable); those of `tide up` "
        "are found by themselves.",
    ),
) -> None:
    """Serve the console until Ctrl-C: stack, streams, topics, lake, jobs and schemas."""
    current = settings()
    port = current.console.port if port is None else port
    if taken(port, host):
        raise ConsoleError(f"port {port} is taken by {holder(port)}: stop it, or use --port")
    logs.configure(os.environ.get("TIDE_LOG_LEVEL", "INFO"))
    screen.print(f"console at http://{host}:{port}/ — Ctrl-C stops it")
    serve(ConsoleContext(current, list(worker)), host, port)
