"""`tide sagas serve|show|list`: the order-fulfilment saga's participants and its saga_state."""

from __future__ import annotations

import os

import typer

from streams.sagas.knobs import Knobs
from streams.sagas.member import SagaSettings
from streams.sagas.serve import ROLES
from streams.sagas.serve import serve as serve_roles
from streams.sagas.state import RetryPolicy
from tide import logs
from tide.cli.context import settings
from tide.cli.output import OutputFormat, emit_object, emit_table
from tide.errors import TideError
from tide.ops.order_client import call

app = typer.Typer(help="The order-fulfilment saga (choreography over saga_events).",
                  no_args_is_help=True)  # fmt: skip
URL = typer.Option("http://127.0.0.1:8094", "--url", envvar="TIDE_SAGAS_URL",
                   help="A `tide sagas serve` process running the state role.")  # fmt: skip
OUTPUT = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")
ROLE = typer.Option(["all"], "--role", help="inventory, payment, shipping, state or all (repeat "
                    "it); each role is its own consumer group.")  # fmt: skip


@app.command("serve")
def serve(
    role: list[str] = ROLE,
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8094, help="Port of the saga API."),
    orders_topic: str = typer.Option("orders", help="Topic of order events (OrderPlaced)."),
    events_topic: str = typer.Option("saga_events", help="Topic of the saga's events."),
    alerts_topic: str = typer.Option("saga_alerts", help="Topic of parked-step alerts."),
    seed: int = typer.Option(0, help="Seed of the failure knobs (deterministic with the saga id)."),
    stockout_rate: float = typer.Option(0.0, help="Share of reservations answered OutOfStock."),
    decline_rate: float = typer.Option(0.0, help="Share of charges declined."),
    ship_fail_rate: float = typer.Option(0.0, help="Share of shipments that fail."),
    delay_rate: float = typer.Option(0.0, help="Share of sagas a participant answers late."),
    delay_s: float = typer.Option(0.0, help="How late (seconds)."),
    initial_stock: int = typer.Option(1000, help="Units of every SKU in each partition's share."),
    step_timeout_s: float = typer.Option(
        5.0, help="A step unanswered this long is retried (the wait doubles per attempt)."
    ),
    max_attempts: int = typer.Option(4, help="Asks of a step before it is parked STUCK."),
    session_timeout_s: float = typer.Option(
        10.0, help="A member silent this long loses its partitions (seconds, at least 6 on Kafka)."
    ),
) -> None:
    """Run saga roles and serve `GET /sagas/{id}`, `GET /sagas?state=`, `/participants/{role}`
    and `/metrics`."""
    roles = list(ROLES) if "all" in role else role
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise TideError(f"unknown role {', '.join(unknown)} (roles: {', '.join(ROLES)}, all)")
    s = settings()
    logs.configure(os.environ.get("TIDE_LOG_LEVEL", "INFO"))
    config = SagaSettings(s.kafka.bootstrap_servers, s.registry.url, orders_topic, events_topic,
                          alerts_topic, session_timeout_s=session_timeout_s,
                          replication_factor=s.kafka.replication_factor)  # fmt: skip
    knobs = Knobs(seed, stockout_rate, decline_rate, ship_fail_rate, delay_rate, delay_s,
                  initial_stock)  # fmt: skip
    serve_roles(roles, config, knobs, RetryPolicy(step_timeout_s, max_attempts), host, port,
                lambda line: typer.echo(line, err=True))  # fmt: skip


@app.command("show")
def show(order_id: str, url: str = URL, output: OutputFormat = OUTPUT) -> None:
    """One saga: its steps with times, the step it waits for, its outcome."""
    emit_object(call(url, "GET", f"/sagas/{order_id}"), output)


@app.command("list")
def list_sagas(
    state: str = typer.Option(
        None, "--state", help="stuck, compensating, confirmed, cancelled or running."
    ),
    url: str = URL,
    output: OutputFormat = OUTPUT,
) -> None:
    """Sagas (in a given state), from the partitions the process at --url owns."""
    found = call(url, "GET", "/sagas" + (f"?state={state}" if state else ""))
    rows = [(s["saga_id"], s["outcome"], s["awaiting"] or "", len(s["steps"]),
             s["steps"][-1]["type"] if s["steps"] else "") for s in found["sagas"]]  # fmt: skip
    title = "" if found["complete"] else "(only the partitions owned there)"
    emit_table(["saga", "outcome", "awaiting", "steps", "last"], rows, output, title)
