from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from pyiceberg.catalog import Catalog

from lake.arrow_schema import avro_to_arrow
from lake.errors import IncompatibleSchemaError, SchemaMismatchError
from lake.evolution import conform, merge
from lake.offsets import append_with_offsets, committed_offsets
from lake.tables import ensure_table, load_table
from tests.unit.lake.conftest import NAMESPACE


def _schema(*fields: dict[str, Any]) -> pa.Schema:
    return avro_to_arrow({"type": "record", "name": "R", "fields": list(fields)})


def _f(name: str, avro_type: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": avro_type, **extra}


LINE = {"type": "record", "name": "Line", "fields": [_f("sku", "string")]}
LINE_V2 = {**LINE, "fields": [_f("sku", "string"), _f("note", ["null", "string"], default=None)]}


def test_an_added_field_is_optional_even_when_the_writer_requires_it() -> None:
    merged = merge(_schema(_f("id", "string")), _schema(_f("id", "string"), _f("n", "long")))
    assert merged == pa.schema([pa.field("id", pa.string(), False), pa.field("n", pa.int64())])


def test_a_field_the_writer_lacks_becomes_optional() -> None:
    merged = merge(_schema(_f("id", "string"), _f("n", "long")), _schema(_f("id", "string")))
    assert merged.field("n").nullable
    assert not merged.field("id").nullable


@pytest.mark.parametrize(
    ("old", "new", "wider"),
    [
        ("int", "long", pa.int64()),
        ("long", "int", pa.int64()),  # an older writer into a promoted column: no change
        ("float", "double", pa.float64()),
        ("double", "float", pa.float64()),
    ],
)
def test_numeric_promotions(old: str, new: str, wider: pa.DataType) -> None:
    merged = merge(_schema(_f("x", old)), _schema(_f("x", new)))
    assert merged.field("x").type == wider


def test_a_decimal_widens_its_precision_at_the_same_scale() -> None:
    def dec(precision: int, scale: int) -> dict[str, Any]:
        return {"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale}

    merged = merge(_schema(_f("d", dec(9, 2))), _schema(_f("d", dec(18, 2))))
    assert merged.field("d").type == pa.decimal128(18, 2)
    with pytest.raises(IncompatibleSchemaError, match="field d changed type"):
        merge(_schema(_f("d", dec(9, 2))), _schema(_f("d", dec(9, 3))))


def test_a_new_enum_symbol_changes_nothing() -> None:
    old = _schema(_f("e", {"type": "enum", "name": "E", "symbols": ["A"]}))
    new = _schema(_f("e", {"type": "enum", "name": "E", "symbols": ["A", "B"]}))
    assert merge(old, new) == old


def test_nested_records_arrays_and_maps_gain_fields() -> None:
    def schema(line: dict[str, Any]) -> pa.Schema:
        return _schema(
            _f("line", line), _f("lines", {"type": "array", "items": {**line, "name": "L2"}}),
            _f("by_sku", {"type": "map", "values": {**line, "name": "L3"}}),
        )  # fmt: skip

    old, new = schema(LINE), schema(LINE_V2)
    line = pa.struct([pa.field("sku", pa.string(), False), pa.field("note", pa.string())])
    assert merge(old, new) == pa.schema(
        [
            pa.field("line", line, False),
            pa.field("lines", pa.list_(pa.field("element", line, False)), False),
            pa.field("by_sku", pa.map_(pa.string(), pa.field("value", line, False)), False),
        ]
    )


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        (_f("region", "string"), _f("region", "int"), "region"),
        (_f("n", "long"), _f("n", "double"), "n"),
        (_f("line", LINE), _f("line", "string"), "line"),
        (_f("lines", {"type": "array", "items": LINE}),
         _f("lines", {"type": "array", "items": {**LINE, "fields": [_f("sku", "long")]}}),
         "lines[].sku"),
        (_f("m", {"type": "map", "values": "int"}), _f("m", {"type": "map", "values": "string"}),
         "m{}"),
    ],
)  # fmt: skip
def test_an_incompatible_change_names_the_field(
    old: dict[str, Any], new: dict[str, Any], path: str
) -> None:
    with pytest.raises(IncompatibleSchemaError) as raised:
        merge(_schema(old), _schema(new))
    assert raised.value.path == path
    assert f"field {path} changed type incompatibly" in str(raised.value)


def test_conform_fills_absent_optional_columns_and_refuses_absent_required_ones() -> None:
    target = pa.schema([pa.field("id", pa.string(), False), pa.field("n", pa.int64())])
    data = pa.table({"id": ["a", "b"]})
    filled = conform(data, target, "t")
    assert filled.to_pylist() == [{"id": "a", "n": None}, {"id": "b", "n": None}]
    with pytest.raises(SchemaMismatchError, match=r"missing \['id'\]"):
        conform(pa.table({"n": [1]}), target, "t")


def test_one_commit_evolves_the_table_and_appends_rows_of_both_versions(catalog: Catalog) -> None:
    v1 = _schema(_f("id", "string"), _f("n", "int"), _f("line", LINE))
    v2 = _schema(
        _f("id", "string"), _f("n", "long"), _f("line", LINE_V2),
        _f("campaign", ["null", "string"], default=None),
    )  # fmt: skip
    table = ensure_table(catalog, NAMESPACE, "evolving", v1)
    old = pa.Table.from_pylist([{"id": "a", "n": 1, "line": {"sku": "s1"}}], schema=v1)
    append_with_offsets(table, old, "t", {0: 1}, expected={})
    new = pa.Table.from_pylist(
        [{"id": "b", "n": 2**40, "line": {"sku": "s2", "note": "x"}, "campaign": "c"}], schema=v2
    )
    before = len(table.snapshots())
    append_with_offsets(table, new, "t", {0: 2}, expected={0: 1}, evolve=True)
    table = load_table(catalog, NAMESPACE, "evolving")
    assert len(table.snapshots()) == before + 1  # the schema change rode in the data's commit
    assert committed_offsets(table, "t") == {0: 2}
    assert str(table.schema().find_field("n").field_type) == "long"
    assert sorted(table.scan().to_arrow().to_pylist(), key=lambda r: r["id"]) == [
        {"id": "a", "n": 1, "line": {"sku": "s1", "note": None}, "campaign": None},
        {"id": "b", "n": 2**40, "line": {"sku": "s2", "note": "x"}, "campaign": "c"},
    ]


def test_an_incompatible_append_changes_nothing(catalog: Catalog) -> None:
    table = ensure_table(catalog, NAMESPACE, "stable", _schema(_f("region", "string")))
    append_with_offsets(table, pa.table({"region": ["eu"]}), "t", {0: 1}, expected={})
    retyped = pa.Table.from_pylist([{"region": 3}], schema=_schema(_f("region", "int")))
    with pytest.raises(IncompatibleSchemaError, match="field region"):
        append_with_offsets(table, retyped, "t", {0: 2}, expected={0: 1}, evolve=True)
    table = load_table(catalog, NAMESPACE, "stable")
    assert committed_offsets(table, "t") == {0: 1}
    assert table.scan().to_arrow().to_pylist() == [{"region": "eu"}]
