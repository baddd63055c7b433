"""`tide registry serve`: run the schema registry alone."""

from __future__ import annotations

import typer

from registry.api.auth import hash_password
from registry.server import KafkaStoreOptions
from registry.server import serve as serve_registry
from tide.cli.context import settings
from tide.cli.output import console

app = typer.Typer(help="The schema registry service.", no_args_is_help=True)


@app.command()
def serve(
    host: str = typer.Option(None, help="Bind address (default TIDE_REGISTRY__HOST)."),
    port: int = typer.Option(None, help="Port (default TIDE_REGISTRY__PORT)."),
) -> None:
    """Serve the Confluent-compatible registry API until Ctrl-C.

    TIDE_REGISTRY__STORE=kafka runs it as one of several instances sharing a Kafka log.
    """
    s = settings()
    host, port = host or s.registry.host, port or s.registry.port
    store = (
        f"Kafka log {s.registry.topic} on {s.kafka.bootstrap_servers}"
        if s.registry.store == "kafka"
        else f"SQLite {s.registry_database}"
    )
    auth = "basic auth" if s.registry.users else "no auth"
    console.print(f"schema registry at http://{host}:{port} ({store}, {auth}) — Ctrl-C stops it")
    if s.registry.store == "kafka":
        kafka = KafkaStoreOptions(
            s.kafka.bootstrap_servers,
            s.registry.topic,
            s.registry.advertised_url or f"http://{host}:{port}",
            s.registry.lease_seconds,
            s.kafka.replication_factor,
        )
        serve_registry(host, port, kafka=kafka, users=s.registry.users)
    else:
        serve_registry(host, port, s.registry_database, users=s.registry.users)


@app.command("hash-password")
def hash_password_cmd(
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="The password to hash."
    ),
) -> None:
    """Print the hash to put in TIDE_REGISTRY__USERS for a basic auth user."""
    typer.echo(hash_password(password))
