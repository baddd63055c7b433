from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest

from lake.arrow_schema import avro_to_arrow, records_to_arrow
from lake.errors import RecordConversionError, UnsupportedSchemaError
from schemas.loader import load
from tests.unit.lake.samples import PAYLOADS, click, order, roundtrip

TS = pa.timestamp("us", tz="UTC")


def _record(name: str, *fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": list(fields)}


def test_clicks_schema_converts_to_exact_arrow_types() -> None:
    assert avro_to_arrow(load("clicks").schema) == pa.schema(
        [
            pa.field("event_id", pa.string(), nullable=False),
            pa.field("event_time", TS, nullable=False),
            pa.field("user_id", pa.string(), nullable=False),
            pa.field("session_id", pa.string(), nullable=False),
            pa.field("page", pa.string(), nullable=False),
            pa.field("referrer", pa.string(), nullable=True),
            pa.field("region", pa.string(), nullable=False),
            pa.field("device", pa.string(), nullable=False),
        ]
    )


def test_orders_payload_union_becomes_a_struct_of_branches() -> None:
    line = pa.struct(
        [
            pa.field("sku", pa.string(), nullable=False),
            pa.field("quantity", pa.int32(), nullable=False),
            pa.field("unit_price_cents", pa.int64(), nullable=False),
        ]
    )
    placed = pa.struct(
        [
            pa.field("items", pa.list_(pa.field("element", line, nullable=False)), False),
            pa.field("total_cents", pa.int64(), nullable=False),
            pa.field("currency", pa.string(), nullable=False),
        ]
    )
    paid = pa.struct(
        [
            pa.field("payment_id", pa.string(), nullable=False),
            pa.field("amount_cents", pa.int64(), nullable=False),
            pa.field("method", pa.string(), nullable=False),
        ]
    )
    shipped = pa.struct(
        [
            pa.field("shipment_id", pa.string(), nullable=False),
            pa.field("carrier", pa.string(), nullable=False),
        ]
    )
    cancelled = pa.struct([pa.field("reason", pa.string(), nullable=False)])
    payload = pa.struct(
        [
            pa.field("OrderPlaced", placed),
            pa.field("OrderPaid", paid),
            pa.field("OrderShipped", shipped),
            pa.field("OrderCancelled", cancelled),
        ]
    )
    schema = avro_to_arrow(load("orders").schema)
    assert schema.names == [
        "event_id", "event_time", "order_id", "customer_id",
        "region", "producer", "trace_id", "version", "command_id", "payload",
    ]  # fmt: skip
    assert schema.field("event_time").type == TS
    assert [f.name for f in schema if f.nullable] == ["command_id"]
    assert schema.field("payload").type == payload


def test_every_supported_type() -> None:
    schema = _record(
        "All",
        {"name": "b", "type": "boolean"},
        {"name": "i", "type": "int"},
        {"name": "f", "type": "float"},
        {"name": "d", "type": "double"},
        {"name": "raw", "type": "bytes"},
        {"name": "fx", "type": {"type": "fixed", "name": "Md5", "size": 16}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "opt_last", "type": ["long", "null"]},
        {"name": "tags", "type": {"type": "array", "items": ["null", "string"]}},
        {"name": "attrs", "type": {"type": "map", "values": "long"}},
        {"name": "custom", "type": {"type": "string", "logicalType": "my-own"}},
        {"name": "nested", "type": ["null", _record("Inner", {"name": "x", "type": "int"})]},
        {"name": "again", "type": "Inner"},
    )
    inner = pa.struct([pa.field("x", pa.int32(), nullable=False)])
    assert avro_to_arrow(schema) == pa.schema(
        [
            pa.field("b", pa.bool_(), False),
            pa.field("i", pa.int32(), False),
            pa.field("f", pa.float32(), False),
            pa.field("d", pa.float64(), False),
            pa.field("raw", pa.binary(), False),
            pa.field("fx", pa.binary(), False),
            pa.field("day", pa.date32(), False),
            pa.field("us", TS, False),
            pa.field("opt_last", pa.int64(), True),
            pa.field("tags", pa.list_(pa.field("element", pa.string(), True)), False),
            pa.field("attrs", pa.map_(pa.string(), pa.field("value", pa.int64(), False)), False),
            pa.field("custom", pa.string(), False),
            pa.field("nested", inner, True),
            pa.field("again", inner, False),
        ]
    )


@pytest.mark.parametrize(
    ("avro_type", "path"),
    [
        ({"type": "bytes", "logicalType": "decimal", "precision": 40, "scale": 2}, "outer.amount"),
        (["null", "int", "string"], "outer.amount"),
        ({"type": "long", "logicalType": "local-timestamp-millis"}, "outer.amount"),
    ],
)
def test_unsupported_types_name_the_field_path(avro_type: Any, path: str) -> None:
    schema = _record(
        "Top", {"name": "outer", "type": _record("Outer", {"name": "amount", "type": avro_type})}
    )
    with pytest.raises(UnsupportedSchemaError, match=path):
        avro_to_arrow(schema)


def test_clicks_round_trip_to_arrow() -> None:
    records = [click(i) for i in range(10)]
    table = records_to_arrow(roundtrip("clicks", records), load("clicks").schema)
    assert table.schema == avro_to_arrow(load("clicks").schema)
    assert table.to_pylist() == records


def test_orders_round_trip_covers_every_payload_branch() -> None:
    records = [order(i) for i in range(8)]
    table = records_to_arrow(roundtrip("orders", records), load("orders").schema)
    assert table.num_rows == 8
    branches = ["OrderPlaced", "OrderPaid", "OrderShipped", "OrderCancelled"]
    for i, row in enumerate(table.to_pylist()):
        expected_name, expected_value = PAYLOADS[i % 4]
        short = expected_name.rsplit(".", 1)[1]
        assert row["payload"] == {b: expected_value if b == short else None for b in branches}
        assert row["event_id"] == records[i]["event_id"]
        assert row["event_time"] == records[i]["event_time"]
        assert row["event_time"].utcoffset() == dt.timedelta(0)


def test_record_union_value_without_its_name_is_rejected() -> None:
    decoded = roundtrip("orders", [order(0)])
    decoded[0]["payload"] = decoded[0]["payload"][1]  # as if read without return_record_name
    with pytest.raises(RecordConversionError, match="payload"):
        records_to_arrow(decoded, load("orders").schema)


def test_missing_field_is_a_conversion_error() -> None:
    decoded = roundtrip("clicks", [click(0)])
    del decoded[0]["page"]
    with pytest.raises(RecordConversionError, match="page"):
        records_to_arrow(decoded, load("clicks").schema)
