"""`tide projections serve`: keep the order read models and answer queries over HTTP."""

from __future__ import annotations

import os

import typer

from streams.projections.serve import serve as serve_projections
from streams.projections.worker import ProjectionSettings
from tide import logs
from tide.cli.context import settings

app = typer.Typer(help="CQRS read models of orders (order_summary, customer_orders).",
                  no_args_is_help=True)  # fmt: skip


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8092, help="Port of the read API."),
    advertise: str = typer.Option(None, help="URL other members forward to (default: host:port)."),
    topic: str = typer.Option("orders", help="Topic of order events."),
    session_timeout_s: float = typer.Option(
        10.0,
        help="A member silent this long loses its partitions to the others (seconds; "
        "Kafka refuses less than its group.min.session.timeout.ms, 6 by default).",
    ),
) -> None:
    """Fold `orders` into the read models (a member of the projection group; N processes share
    the partitions) and serve `GET /orders/{id}`, `GET /customers/{id}/orders`, `/metrics`."""
    s = settings()
    logs.configure(os.environ.get("TIDE_LOG_LEVEL", "INFO"))
    config = ProjectionSettings(
        bootstrap_servers=s.kafka.bootstrap_servers,
        registry_url=s.registry.url,
        source=topic,
        replication_factor=s.kafka.replication_factor,
        session_timeout_s=session_timeout_s,
    )
    serve_projections(config, host, port, lambda line: typer.echo(line, err=True), advertise)
