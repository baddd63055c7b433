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

from lake.arrow_schema import avro_to_arrow
from lake.avro_batch import AvroBatchDecoder, decode_each
from lake.errors import RecordConversionError
from schemas.loader import load
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


def _one(avro_type: Any) -> dict[str, Any]:
    return {"type": "record", "name": "R", "fields": [{"name": "x", "type": avro_type}]}


def _dec(base: dict[str, Any], precision: int, scale: int) -> dict[str, Any]:
    return {**base, "logicalType": "decimal", "precision": precision, "scale": scale}


T0 = dt.datetime(2024, 3, 1, 1, 2, 3, 456789, tzinfo=dt.UTC)
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
    ("date", {"type": "int", "logicalType": "date"}, pa.date32(),
     [dt.date(2024, 3, 1), dt.date(1960, 1, 1)]),
    ("uuid", {"type": "string", "logicalType": "uuid"}, pa.string(),
     ["2f6d3c4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"]),
    ("fixed", {"type": "fixed", "name": "F2", "size": 2}, pa.binary(), [b"ab", b"\x00\xff"]),
    ("bytes, boolean", "bytes", pa.binary(), [b"", b"\x00\x01"]),
]  # fmt: skip


def _written(avro_type: Any, value: Any) -> Any:
    """A value as fastavro writes it: a union of records as (record name, record)."""
    if isinstance(avro_type, list) and sum(isinstance(b, dict) for b in avro_type) > 1:
        if value is None:
            return None
        name, record = next((k, v) for k, v in value.items() if v is not None)
        return (name, record)
    if isinstance(avro_type, dict) and avro_type.get("type") == "array":
        return [_written(avro_type["items"], v) for v in value]
    if isinstance(avro_type, dict) and avro_type.get("type") == "map":
        return dict(value)
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
    assert table.equals(decode_each(schema, bodies))


@pytest.mark.parametrize("topic", ["clicks", "orders"])
def test_shipped_topics_decode_as_record_by_record(decoder: AvroBatchDecoder, topic: str) -> None:
    schema = load(topic).schema
    make = click if topic == "clicks" else order
    bodies = _bodies(schema, [make(i) for i in range(40)])
    table = decoder.decode(schema, bodies)
    assert table.equals(decode_each(schema, bodies))
    assert table.schema == avro_to_arrow(schema)


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
