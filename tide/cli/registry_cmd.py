"""`tide registry serve`: run the schema registry alone."""

from __future__ import annotations

import typer

from registry.server import serve as serve_registry
from tide.cli.context import settings

app = typer.Typer(help="The schema registry service.", no_args_is_help=True)


@app.command()
def serve(
    host: str = typer.Option(None, help="Bind address (default TIDE_REGISTRY__HOST)."),
    port: int = typer.Option(None, help="Port (default TIDE_REGISTRY__PORT)."),
) -> None:
    """Serve the Confluent-compatible registry API until Ctrl-C."""
    s = settings()
    serve_registry(host or s.registry.host, port or s.registry.port, s.registry_database)
