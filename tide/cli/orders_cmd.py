"""`tide orders serve|place|pay|ship|cancel|show`: the event-sourced order's command side."""

from __future__ import annotations

import os
from urllib.parse import quote

import typer

from tide import logs
from tide.cli.context import settings
from tide.cli.output import OutputFormat, emit_object
from tide.errors import TideError
from tide.ops.order_client import call

app = typer.Typer(help="The event-sourced order: its command API and commands.",
                  no_args_is_help=True)  # fmt: skip

URL = typer.Option(
    "http://127.0.0.1:8093", "--url", envvar="TIDE_ORDERS_URL",
    help="Any member of the command API (a command is routed to its order's owner).",
)  # fmt: skip
KEY = typer.Option(None, "--key", help="Idempotency key: a retry with it appends nothing.")
EXPECT = typer.Option(None, "--expect", help="The version the order must be at (else 409).")
OUTPUT = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")
ITEMS = typer.Option(..., "--item", help="SKU:QUANTITY:UNIT_PRICE_CENTS (repeat it).")


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(None, help="Port of the command API (default TIDE_ORDERS__PORT)."),
    advertise: str = typer.Option(None, help="URL other members forward to (default: host:port)."),
    topic: str = typer.Option("orders", help="Topic of order events."),
    session_timeout_s: float = typer.Option(
        10.0, help="A member silent this long loses its partitions to the others (seconds)."
    ),
) -> None:
    """Take order commands for the partitions this member owns (N processes share them through
    the consumer group) and append their events: `POST /orders`, `POST /orders/{id}/pay|ship|
    cancel`, `GET /orders/{id}`, `/metrics`."""
    from streams.orders.serve import serve as serve_orders
    from streams.projections.worker import ProjectionSettings
    from tide.ops.lake import query_engine

    s = settings()
    port = s.orders.port if port is None else port
    logs.configure(os.environ.get("TIDE_LOG_LEVEL", "INFO"))
    config = ProjectionSettings(
        bootstrap_servers=s.kafka.bootstrap_servers, registry_url=s.registry.url, source=topic,
        replication_factor=s.kafka.replication_factor, session_timeout_s=session_timeout_s,
        role="orders",
    )  # fmt: skip
    outbox = s.data_dir / f"orders-outbox-{port}.sqlite"
    serve_orders(config, outbox, host, port, lambda line: typer.echo(line, err=True), advertise,
                 lambda: query_engine(s))  # fmt: skip


def _item(text: str) -> dict[str, object]:
    try:
        sku, quantity, price = text.rsplit(":", 2)
        return {"sku": sku, "quantity": int(quantity), "unit_price_cents": int(price)}
    except ValueError:
        raise TideError(f"--item {text!r}: use SKU:QUANTITY:UNIT_PRICE_CENTS") from None


@app.command("place")
def place(
    customer: str = typer.Option(..., "--customer", help="Customer id."),
    region: str = typer.Option(..., "--region", help="The customer's region."),
    item: list[str] = ITEMS,
    currency: str = typer.Option("EUR", help="3-letter currency code."),
    order_id: str = typer.Option(None, "--order-id", help="Default: derived from --key, or new."),
    key: str = KEY,
    url: str = URL,
    output: OutputFormat = OUTPUT,
) -> None:
    """Place an order."""
    body: dict[str, object] = {"customer_id": customer, "region": region, "currency": currency,
                               "items": [_item(i) for i in item]}  # fmt: skip
    if order_id:
        body["order_id"] = order_id
    emit_object(call(url, "POST", "/orders", body, key), output)


def _act(action: str, order_id: str, body: dict[str, object], expect: int | None, key: str | None,
         url: str, output: OutputFormat) -> None:  # fmt: skip
    if expect is not None:
        body["expected_version"] = expect
    emit_object(call(url, "POST", f"/orders/{order_id}/{action}", body, key), output)


@app.command("pay")
def pay(
    order_id: str,
    method: str = typer.Option("CARD", help="CARD, PAYPAL or BANK_TRANSFER."),
    expect: int = EXPECT,
    key: str = KEY,
    url: str = URL,
    output: OutputFormat = OUTPUT,
) -> None:
    """Pay an order (its whole total)."""
    _act("pay", order_id, {"method": method}, expect, key, url, output)


@app.command("ship")
def ship(
    order_id: str,
    carrier: str = typer.Option("DHL", help="Carrier."),
    expect: int = EXPECT,
    key: str = KEY,
    url: str = URL,
    output: OutputFormat = OUTPUT,
) -> None:
    """Ship a paid order."""
    _act("ship", order_id, {"carrier": carrier}, expect, key, url, output)


@app.command("cancel")
def cancel(
    order_id: str,
    reason: str = typer.Option("customer request", help="Why."),
    expect: int = EXPECT,
    key: str = KEY,
    url: str = URL,
    output: OutputFormat = OUTPUT,
) -> None:
    """Cancel an order that is not shipped yet."""
    _act("cancel", order_id, {"reason": reason}, expect, key, url, output)


@app.command("show")
def show(
    order_id: str,
    as_of: str = typer.Option(None, "--as-of", help="ISO 8601 time: the order as it was then."),
    url: str = URL,
    output: OutputFormat = OUTPUT,
) -> None:
    """The order as the command side knows it (every accepted event included), or as it was at
    a time (rebuilt from its events, from the topic or else the lake)."""
    path = f"/orders/{order_id}" + ("" if as_of is None else f"?as_of={quote(as_of)}")
    emit_object(call(url, "GET", path), output)
