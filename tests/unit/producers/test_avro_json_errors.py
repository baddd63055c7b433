"""A refused line's reason names the field, what the schema expects and what the value is."""

from __future__ import annotations

import json
from typing import Any

import fastavro
import pytest

from producers.avro_json_errors import first_mismatch
from producers.errors import SchemaValidationError
from producers.ingest import decode_avro_json
from schemas.loader import load

CLICK = {
    "event_id": "5b0c2a2e-1111-2222-3333-444455556666", "event_time": 1_700_000_000_000,
    "user_id": "u1", "session_id": "s1", "page": "/", "referrer": None, "region": "eu",
    "device": "DESKTOP",
}  # fmt: skip


def refusal(line: dict[str, Any], topic: str = "clicks") -> str:
    parsed = fastavro.parse_schema(load(topic).schema)
    with pytest.raises(SchemaValidationError) as caught:
        decode_avro_json(json.dumps(line), parsed)
    return str(caught.value)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"device": "PHONE"},
         'device: expected one of DESKTOP, MOBILE, TABLET (enum tide.clicks.Device), '
         'got string "PHONE"'),
        ({"referrer": "x"}, 'referrer: expected a union value written as {"string": …}, got '
                            'string "x"'),
        ({"referrer": {"int": 3}}, "referrer: union branch 'int' is not one of null, string"),
        ({"event_time": "now"}, 'event_time: expected long (timestamp-millis), got string "now"'),
        ({"event_time": 2**70}, f"event_time: {2**70} is out of range for long"),
    ],
)  # fmt: skip
def test_the_reason_names_the_field_and_both_types(change: dict[str, Any], reason: str) -> None:
    assert refusal({**CLICK, **change}) == f"does not match the schema: {reason}"


def test_a_missing_field_without_a_default_is_named() -> None:
    line = {k: v for k, v in CLICK.items() if k != "page"}
    assert refusal(line).endswith("page: missing (the field has no default)")


def test_nested_paths_go_through_unions_arrays_and_records() -> None:
    placed = {"tide.orders.OrderPlaced": {"items": [
        {"sku": "a", "quantity": 1, "unit_price_cents": 5},
        {"sku": "b", "quantity": "two", "unit_price_cents": 5},
    ], "total_cents": 10}}  # fmt: skip
    order = {"event_id": CLICK["event_id"], "event_time": 1, "order_id": "o1", "customer_id": "c",
             "region": "eu", "producer": "p", "trace_id": "t", "payload": placed}  # fmt: skip
    parsed = fastavro.parse_schema(load("orders").schema)
    assert (
        first_mismatch(order, parsed) == 'payload.items[1].quantity: expected int, got string "two"'
    )


def test_a_value_that_matches_has_no_mismatch() -> None:
    parsed = fastavro.parse_schema(load("clicks").schema)
    assert first_mismatch({**CLICK, "referrer": {"string": "https://x"}}, parsed) is None
