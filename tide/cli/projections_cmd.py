"""`tide projections serve`: keep the order read models and answer queries over HTTP."""

from __future__ import annotations

import os

import typer

from streams.projections.serve import serve as serve_projections
from streams.projections.worker import ProjectionSettings
from tide import logs
from tide.cli.context import settings
from tide.cli.output import OutputFormat, console, emit_object, emit_table
from tide.ops.order_client import call

MEMBER_URL = typer.Option("http://127.0.0.1:8092", "--url", envvar="TIDE_PROJECTIONS_URL",
                          help="Any member of the projection group.")  # fmt: skip
OUTPUT = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")

MEMBER_URL = typer.Option(
    "http://127.0.0.1:8092", "--url", envvar="TIDE_PROJECTIONS_URL",
    help="Any member of the projection group.",
)  # fmt: skip
OUTPUT = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")

app = typer.Typer(help="CQRS read models of orders (order_summary, customer_orders).",
                  no_args_is_help=True)  # fmt: skip


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(
        None, help="Port of the read API (default TIDE_ORDERS__PROJECTIONS_PORT)."
    ),
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
    port = s.orders.projections_port if port is None else port
    logs.configure(os.environ.get("TIDE_LOG_LEVEL", "INFO"))
    config = ProjectionSettings(
        bootstrap_servers=s.kafka.bootstrap_servers,
        registry_url=s.registry.url,
        source=topic,
        replication_factor=s.kafka.replication_factor,
        session_timeout_s=session_timeout_s,
    )
    serve_projections(config, host, port, lambda line: typer.echo(line, err=True), advertise)


@app.command("rebuild")
def rebuild(
    model: str = typer.Argument("order_summary", help="order_summary or customer_orders."),
    url: str = MEMBER_URL,
    output: OutputFormat = OUTPUT,
) -> None:
    """Replay the topic from its start into fresh read models, next to the live ones, and swap
    them in on every member once they have caught up (queries go on being answered); reports
    where the live models differed from the replay."""
    found = call(url, "POST", f"/rebuild?model={model}", timeout_s=900)
    if output is OutputFormat.json:
        emit_object(found, output)
        return
    rows = [(p["partition"], p["events"], p["next_offset"], p["orders"], p["customers"],
             p["different"], "yes" if p["swapped"] else "no (let go)")
            for p in found["partitions"]]  # fmt: skip
    emit_table(["partition", "events", "next_offset", "orders", "customers", "different",
                "swapped"], rows, output, title=f"{model} rebuilt by replay")  # fmt: skip
    if found["different"]:
        console.print(f"[yellow]{found['different']} models differed from the replay[/yellow]; "
                      "the rebuilt ones answer now")  # fmt: skip
    else:
        console.print("the rebuilt models equal the live ones")
