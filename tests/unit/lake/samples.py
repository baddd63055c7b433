"""Sample clicks and orders, encoded and decoded by fastavro the way the land job does."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

import fastavro

from schemas.loader import load

REGIONS = ("eu", "us", "apac", "latam")
DAY0 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
PAYLOADS: list[tuple[str, dict[str, Any]]] = [
    (
        "tide.orders.OrderPlaced",
        {
            "items": [
                {"sku": "sku-1", "quantity": 2, "unit_price_cents": 150},
                {"sku": "sku-2", "quantity": 1, "unit_price_cents": 999},
            ],
            "total_cents": 1299,
            "currency": "EUR",
        },
    ),
    ("tide.orders.OrderPaid", {"payment_id": "pay-1", "amount_cents": 1299, "method": "PAYPAL"}),
    ("tide.orders.OrderShipped", {"shipment_id": "ship-1", "carrier": "dhl"}),
    ("tide.orders.OrderCancelled", {"reason": "changed mind"}),
]


def click(i: int) -> dict[str, Any]:
    """Click number ``i``: regions cycle, days cycle over three days."""
    return {
        "event_id": str(uuid.UUID(int=i)),
        "event_time": DAY0 + dt.timedelta(days=i % 3, milliseconds=i),
        "user_id": f"u{i % 7}",
        "session_id": f"s{i % 11}",
        "page": f"/p/{i % 5}",
        "referrer": None if i % 2 else "https://example.com/",
        "region": REGIONS[i % len(REGIONS)],
        "device": ("DESKTOP", "MOBILE", "TABLET")[i % 3],
    }


def order(i: int) -> dict[str, Any]:
    """Order event number ``i``: the payload cycles through the four branches."""
    return {
        "event_id": str(uuid.UUID(int=10_000 + i)),
        "event_time": DAY0 + dt.timedelta(days=i % 2, seconds=i),
        "order_id": f"o{i // 4}",
        "customer_id": f"c{i % 3}",
        "region": REGIONS[i % len(REGIONS)],
        "producer": "orders-service",
        "trace_id": f"t{i}",
        "payload": PAYLOADS[i % len(PAYLOADS)],
    }


def roundtrip(topic: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``records`` written and read back by fastavro with the land job's reader flags."""
    schema = fastavro.parse_schema(load(topic).schema)
    decoded: list[Any] = []
    for record in records:
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, schema, record)
        buffer.seek(0)
        decoded.append(
            fastavro.schemaless_reader(
                buffer,
                schema,
                return_record_name=True,
                return_record_name_override=True,
            )
        )
    return decoded
