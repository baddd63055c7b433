"""Column-wise decoding of Avro bodies: every Avro type the lake stores gets its exact Arrow type
and value, the same as fastavro's record-by-record decode gives."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import fastavro
import pyarrow as pa
import pytest
from pyiceberg.catalog import Catalog

from lake.arrow_schema import avro_to_arrow
from lake.avro_batch import AvroBatchDecoder, decode_each
from lake.errors import RecordConversionError
from lake.offsets import append_with_offsets
from lake.tables import ensure_table, load_table
from schemas.loader import load
from tests.unit.lake.conftest import NAMESPACE
from tests.unit.lake.samples import click, order

UTC_US = pa.timestamp("us", tz="UTC")
A = {"type": "record", "name": "A", "fields": [{"name": "a", "type": "int"}]}
B = {"type": "record", "name": "B", "fields": [{"name": "b", "type": ["null", "string"]}]}


@pytest.fixture(scope="module")
def decoder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AvroBatchDecoder]:
    with AvroBatchDecoder(tmp_path_factory.mktemp("duckdb")) as instance:
        yield instance


def _bodies(schema: dict[str, Any], records: list[dict[str, Any]]) -> list[bytes]:
    parsed = fastavro.parse_schema(schema)
    out = []
    for record in records:
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, parsed, record)
        out.append(buffer.getvalue())
    return out


def _required_hold_no_nulls(array: pa.Array, path: str = "x") -> None:
    """Arrow's rule, which a cast or an Iceberg append enforces: a field declared
    non-nullable holds no null, even under a null parent."""
    data_type = array.type
    if pa.types.is_struct(data_type):
        for i, field in enumerate(data_type):
            child = array.field(i)
            assert field.nullable or child.null_count == 0, f"{path}.{field.name} has nulls"
            _required_hold_no_nulls(child, f"{path}.{field.name}")
    elif pa.types.is_map(data_type):
        items, item_field = array.items, data_type.item_field
        assert item_field.nullable or items.null_count == 0, f"{path}{{}} has nulls"
        _required_hold_no_nulls(items, f"{path}{{}}")
    elif pa.types.is_list(data_type):
        values, element = array.values, data_type.value_field
        assert element.nullable or values.null_count == 0, f"{path}[] has nulls"
        _required_hold_no_nulls(values, f"{path}[]")


def _assert_same_as_record_by_record(
    table: pa.Table, schema: dict[str, Any], bodies: list[bytes]
) -> None:
    """The column-wise decode equals fastavro's record by record, record for record, and
    holds the lake's types so strictly that a cast to them (as landing does) succeeds."""
    each = decode_each(schema, bodies)
    target = avro_to_arrow(schema)
    assert table.schema == target
    assert table.to_pylist() == each.to_pylist()
    assert table.equals(each)
    for field, column in zip(target, table.columns, strict=True):
        for chunk in column.chunks:
            assert field.nullable or chunk.null_count == 0, f"{field.name} has nulls"
            _required_hold_no_nulls(chunk, field.name)
    table.validate(full=True)
    assert table.cast(target).equals(each)


def _one(avro_type: Any) -> dict[str, Any]:
    return {"type": "record", "name": "R", "fields": [{"name": "x", "type": avro_type}]}


def _dec(base: dict[str, Any], precision: int, scale: int) -> dict[str, Any]:
    return {**base, "logicalType": "decimal", "precision": precision, "scale": scale}


T0 = dt.datetime(2024, 3, 1, 1, 2, 3, 456789, tzinfo=dt.UTC)
# A record whose required fields are of every nested and logical shape: under a null parent
# each must still hold no null.
DEEP = {
    "type": "record",
    "name": "Deep",
    "fields": [
        {"name": "inner", "type": A},
        {"name": "lines", "type": {"type": "array", "items": "A"}},
        {"name": "tags", "type": {"type": "map", "values": "long"}},
        {"name": "kind", "type": {"type": "enum", "name": "K", "symbols": ["P", "Q"]}},
        {"name": "price", "type": _dec({"type": "bytes"}, 9, 2)},
        {"name": "fx", "type": _dec({"type": "fixed", "name": "FX", "size": 4}, 6, 3)},
        {"name": "at_ms", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "at_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "on", "type": {"type": "int", "logicalType": "date"}},
        {"name": "ok", "type": "boolean"},
        {"name": "raw", "type": "bytes"},
        {"name": "note", "type": ["null", "string"]},
    ],
}
_REQ_A = pa.struct([pa.field("a", pa.int32(), False)])
DEEP_T = pa.struct(
    [
        pa.field("inner", _REQ_A, False),
        pa.field("lines", pa.list_(pa.field("element", _REQ_A, False)), False),
        pa.field("tags", pa.map_(pa.string(), pa.field("value", pa.int64(), False)), False),
        pa.field("kind", pa.string(), False),
        pa.field("price", pa.decimal128(9, 2), False),
        pa.field("fx", pa.decimal128(6, 3), False),
        pa.field("at_ms", UTC_US, False),
        pa.field("at_us", UTC_US, False),
        pa.field("on", pa.date32(), False),
        pa.field("ok", pa.bool_(), False),
        pa.field("raw", pa.binary(), False),
        pa.field("note", pa.string(), True),
    ]
)
DEEP_V = {
    "inner": {"a": 7},
    "lines": [{"a": 1}],
    "tags": [("t", 3)],
    "kind": "Q",
    "price": Decimal("12.34"),
    "fx": Decimal("-1.250"),
    "at_ms": T0.replace(microsecond=456000),
    "at_us": T0,
    "on": dt.date(2024, 3, 1),
    "ok": True,
    "raw": b"\x01",
    "note": None,
}
CASES: list[tuple[str, Any, pa.DataType, list[Any]]] = [
    ("timestamp-millis", {"type": "long", "logicalType": "timestamp-millis"}, UTC_US,
     [T0.replace(microsecond=456000), dt.datetime(1969, 12, 31, 23, 59, tzinfo=dt.UTC)]),
    ("timestamp-micros", {"type": "long", "logicalType": "timestamp-micros"}, UTC_US,
     [T0, dt.datetime(1970, 1, 1, tzinfo=dt.UTC)]),
    ("decimal on bytes", _dec({"type": "bytes"}, 9, 2), pa.decimal128(9, 2),
     [Decimal("1.25"), Decimal("-0.01"), Decimal("9999999.99"), Decimal("0.00")]),
    ("decimal on fixed", _dec({"type": "fixed", "name": "F", "size": 8}, 18, 4),
     pa.decimal128(18, 4), [Decimal("-3.1415"), Decimal("0.0000")]),
    ("nullable decimal", ["null", _dec({"type": "bytes"}, 5, 1)], pa.decimal128(5, 1),
     [None, Decimal("-12.5")]),
    ("enum", {"type": "enum", "name": "E", "symbols": ["X", "Y", "Z"]}, pa.string(),
     ["Y", "X", "Z"]),
    ("nullable enum", ["null", {"type": "enum", "name": "E", "symbols": ["X"]}], pa.string(),
     [None, "X"]),
    ("nullable union, null first", ["null", "long"], pa.int64(), [None, 7, -(2**40)]),
    ("nullable union, null last", ["string", "null"], pa.string(), ["s", None]),
    ("nested record", {"type": "record", "name": "N", "fields": [
        {"name": "a", "type": "int"}, {"name": "inner", "type": {"type": "record", "name": "I",
         "fields": [{"name": "f", "type": "float"}, {"name": "d", "type": "double"}]}}]},
     pa.struct([pa.field("a", pa.int32(), False), pa.field("inner", pa.struct(
         [pa.field("f", pa.float32(), False), pa.field("d", pa.float64(), False)]), False)]),
     [{"a": 1, "inner": {"f": 1.5, "d": -2.25}}, {"a": -1, "inner": {"f": 0.0, "d": 1e300}}]),
    ("nullable record", ["null", A], pa.struct([pa.field("a", pa.int32(), False)]),
     [None, {"a": 3}]),
    ("array of nullable strings", {"type": "array", "items": ["null", "string"]},
     pa.list_(pa.field("element", pa.string(), True)), [["x", None], [], ["y"]]),
    ("array of records", {"type": "array", "items": A},
     pa.list_(pa.field("element", pa.struct([pa.field("a", pa.int32(), False)]), False)),
     [[{"a": 1}, {"a": 2}], []]),
    ("map of nullable longs", {"type": "map", "values": ["null", "long"]},
     pa.map_(pa.string(), pa.field("value", pa.int64(), True)),
     [[("k", 1), ("z", None)], [], [("a", 2)]]),
    ("map of decimals", {"type": "map", "values": _dec({"type": "bytes"}, 6, 3)},
     pa.map_(pa.string(), pa.field("value", pa.decimal128(6, 3), False)),
     [[("p", Decimal("1.500"))], []]),
    ("union of records", ["null", A, B], pa.struct([pa.field("A", A_T := pa.struct(
        [pa.field("a", pa.int32(), False)])), pa.field("B", B_T := pa.struct(
        [pa.field("b", pa.string())]))]),
     [None, {"A": None, "B": {"b": "bb"}}, {"A": {"a": 5}, "B": None},
      {"A": None, "B": {"b": None}}]),
    ("array of record unions", {"type": "array", "items": [A, B]},
     pa.list_(pa.field("element", pa.struct([pa.field("A", A_T), pa.field("B", B_T)]), False)),
     [[{"A": {"a": 1}, "B": None}, {"A": None, "B": {"b": "q"}}], []]),
    ("array of nullable records", {"type": "array", "items": ["null", A]},
     pa.list_(pa.field("element", A_T, True)), [[{"a": 1}, None], [None], []]),
    ("map of nullable records", {"type": "map", "values": ["null", A]},
     pa.map_(pa.string(), pa.field("value", A_T, True)), [[("k", None), ("j", {"a": 2})], []]),
    ("null record holding every required shape", ["null", DEEP], DEEP_T, [None, DEEP_V, None]),
    ("union branch holding every required shape", [DEEP, B],
     pa.struct([pa.field("Deep", DEEP_T), pa.field("B", B_T)]),
     [{"Deep": None, "B": {"b": "x"}}, {"Deep": DEEP_V, "B": None},
      {"Deep": None, "B": {"b": None}}]),
    ("date", {"type": "int", "logicalType": "date"}, pa.date32(),
     [dt.date(2024, 3, 1), dt.date(1960, 1, 1)]),
    ("uuid", {"type": "string", "logicalType": "uuid"}, pa.string(),
     ["2f6d3c4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"]),
    ("fixed", {"type": "fixed", "name": "F2", "size": 2}, pa.binary(), [b"ab", b"\x00\xff"]),
    ("bytes, boolean", "bytes", pa.binary(), [b"", b"\x00\x01"]),
]  # fmt: skip


def _written(avro_type: Any, value: Any) -> Any:
    """A value as fastavro writes it: a union of records as (record name, record), a map as
    a dict."""
    if value is None:
        return None
    if isinstance(avro_type, list):
        records = [b for b in avro_type if isinstance(b, dict) and b.get("type") == "record"]
        if len(records) > 1:
            name, record = next((k, v) for k, v in value.items() if v is not None)
            branch = next(b for b in records if b["name"] == name)
            return (name, _written(branch, record))
        return _written(next(b for b in avro_type if b != "null"), value)
    if isinstance(avro_type, dict) and avro_type.get("type") == "record":
        return {f["name"]: _written(f["type"], value[f["name"]]) for f in avro_type["fields"]}
    if isinstance(avro_type, dict) and avro_type.get("type") == "array":
        return [_written(avro_type["items"], v) for v in value]
    if isinstance(avro_type, dict) and avro_type.get("type") == "map":
        return {k: _written(avro_type["values"], v) for k, v in value}
    return value


@pytest.mark.parametrize(("name", "avro_type", "arrow_type", "values"), CASES,
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_each_avro_type_decodes_column_wise_to_its_arrow_type(
    decoder: AvroBatchDecoder, name: str, avro_type: Any, arrow_type: pa.DataType, values: list[Any]
) -> None:
    schema = _one(avro_type)
    bodies = _bodies(schema, [{"x": _written(avro_type, v)} for v in values])
    table = decoder.decode(schema, bodies)
    assert table.schema == avro_to_arrow(schema)
    assert table.schema.field("x").type == arrow_type
    assert table.column("x").to_pylist() == values
    _assert_same_as_record_by_record(table, schema, bodies)


@pytest.mark.parametrize("topic", ["clicks", "orders"])
def test_shipped_topics_decode_as_record_by_record(decoder: AvroBatchDecoder, topic: str) -> None:
    schema = load(topic).schema
    make = click if topic == "clicks" else order
    bodies = _bodies(schema, [make(i) for i in range(40)])
    table = decoder.decode(schema, bodies)
    _assert_same_as_record_by_record(table, schema, bodies)


def test_batches_of_the_same_size_do_not_read_a_previous_one(decoder: AvroBatchDecoder) -> None:
    schema = load("clicks").schema
    for start in (0, 10, 20):
        table = decoder.decode(
            schema, _bodies(schema, [click(i) for i in range(start, start + 10)])
        )
        assert table.column("user_id").to_pylist() == [
            click(i)["user_id"] for i in range(start, start + 10)
        ]


def test_a_body_that_does_not_decode_is_named_by_its_position(
    decoder: AvroBatchDecoder, tmp_path: Path
) -> None:
    schema = load("clicks").schema
    bodies = _bodies(schema, [click(0), click(1)])
    with pytest.raises(RecordConversionError, match="record 1 of the batch does not decode"):
        decoder.decode(schema, [bodies[0], b"\x02"])


def test_orders_decoded_column_wise_land_in_an_iceberg_table(
    decoder: AvroBatchDecoder, catalog: Catalog
) -> None:
    """The regression that reverted the column-wise decode: a batch of orders, whose payload
    takes one of four record branches, must append to the lake table unchanged."""
    schema = load("orders").schema
    bodies = _bodies(schema, [order(i) for i in range(41)])
    table = ensure_table(catalog, NAMESPACE, "orders", avro_to_arrow(schema))
    append_with_offsets(table, decoder.decode(schema, bodies), "orders", {0: 41}, expected={})
    landed = load_table(catalog, NAMESPACE, "orders").scan().to_arrow().sort_by("event_id")
    assert landed.to_pylist() == decode_each(schema, bodies).sort_by("event_id").to_pylist()
