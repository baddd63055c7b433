"""Avro schemas to Arrow schemas, and fastavro-decoded records to Arrow tables.

Records are expected as decoded by ``fastavro.schemaless_reader(...,
return_record_name=True, return_record_name_override=True)``: a union of several
records arrives as a ``(fullname, dict)`` tuple and becomes a struct with one
nullable field per branch, named by the branch's short name.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pyarrow as pa
from fastavro.schema import expand_schema

from lake.errors import RecordConversionError, UnsupportedSchemaError

Converter = Callable[[Any], Any]

_PRIMITIVES: dict[str, pa.DataType] = {
    "null": pa.null(),
    "boolean": pa.bool_(),
    "int": pa.int32(),
    "long": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "string": pa.string(),
    "bytes": pa.binary(),
}
_TIMESTAMP = pa.timestamp("us", tz="UTC")
_MAX_DECIMAL_PRECISION = 38  # Iceberg's limit
_UNSUPPORTED_LOGICAL = {
    "duration",
    "time-millis",
    "time-micros",
    "timestamp-nanos",
    "local-timestamp-millis",
    "local-timestamp-micros",
    "local-timestamp-nanos",
}


@dataclass(frozen=True)
class _Node:
    """One Avro type compiled: its Arrow type, nullability and value converter."""

    type: pa.DataType
    nullable: bool = False
    convert: Converter | None = None


@dataclass(frozen=True)
class _Plan:
    schema: pa.Schema
    converters: tuple[Converter | None, ...]


def avro_to_arrow(avro_schema: dict[str, Any]) -> pa.Schema:
    """The Arrow schema of a top-level Avro record schema."""
    return _plan(_key(avro_schema)).schema


def records_to_arrow(records: list[dict[str, Any]], avro_schema: dict[str, Any]) -> pa.Table:
    """An Arrow table of fastavro-decoded records of ``avro_schema``."""
    plan = _plan(_key(avro_schema))
    arrays = []
    try:
        for field, convert in zip(plan.schema, plan.converters, strict=True):
            name = field.name
            column = [record[name] for record in records]
            if convert is not None:
                column = [convert(value) for value in column]
            arrays.append(pa.array(column, type=field.type))
    except (KeyError, TypeError, ValueError, pa.ArrowException) as e:
        raise RecordConversionError(f"record does not match its schema: {e}") from e
    return pa.Table.from_arrays(arrays, schema=plan.schema)


def _key(avro_schema: dict[str, Any]) -> str:
    return json.dumps(avro_schema, sort_keys=True)


@lru_cache(maxsize=128)
def _plan(schema_json: str) -> _Plan:
    try:
        expanded = expand_schema(json.loads(schema_json))
    except Exception as e:  # fastavro raises several types for a malformed schema
        raise UnsupportedSchemaError(f"invalid Avro schema: {e}") from e
    if not isinstance(expanded, dict) or expanded.get("type") != "record":
        raise UnsupportedSchemaError("the top-level Avro schema must be a record")
    fields = [_field(f, "") for f in expanded["fields"]]
    converters = tuple(node.convert for _, node in fields)
    schema = pa.schema([pa.field(name, node.type, node.nullable) for name, node in fields])
    return _Plan(schema, converters)


def _field(avro_field: dict[str, Any], parent: str) -> tuple[str, _Node]:
    name = avro_field["name"]
    return name, _compile(avro_field["type"], f"{parent}{name}")


def _compile(avro: Any, path: str) -> _Node:
    if isinstance(avro, str):
        if avro in _PRIMITIVES:
            return _Node(_PRIMITIVES[avro], nullable=avro == "null")
        raise UnsupportedSchemaError(f"{path}: unknown or recursive Avro type {avro!r}")
    if isinstance(avro, list):
        return _union(avro, path)
    kind = avro.get("type")
    logical = avro.get("logicalType")
    if logical is not None:
        return _logical(avro, logical, path)
    if kind == "record":
        return _record(avro, path)
    if kind == "enum":
        return _Node(pa.string())
    if kind in ("fixed", "bytes"):
        return _Node(pa.binary())
    if kind == "array":
        item = _compile(avro["items"], f"{path}[]")
        return _Node(pa.list_(pa.field("element", item.type, item.nullable)), False, _each(item))
    if kind == "map":
        value = _compile(avro["values"], f"{path}{{}}")
        value_field = pa.field("value", value.type, value.nullable)
        return _Node(pa.map_(pa.string(), value_field), False, _each_value(value))
    return _compile(kind, path)


def _logical(avro: dict[str, Any], logical: str, path: str) -> _Node:
    base = avro["type"]
    if logical == "uuid" and base == "string":
        return _Node(pa.string(), convert=str)
    if logical in ("timestamp-millis", "timestamp-micros") and base == "long":
        return _Node(_TIMESTAMP)
    if logical == "date" and base == "int":
        return _Node(pa.date32())
    if logical == "decimal" and base in ("bytes", "fixed"):
        return _decimal(avro, path)
    if logical in _UNSUPPORTED_LOGICAL:
        raise UnsupportedSchemaError(f"{path}: logical type {logical!r} is not supported")
    # Avro readers ignore unknown logical types: the value is its underlying type.
    return _compile({k: v for k, v in avro.items() if k != "logicalType"}, path)


def _decimal(avro: dict[str, Any], path: str) -> _Node:
    precision, scale = avro.get("precision"), avro.get("scale", 0)
    if not isinstance(precision, int) or not 0 < precision <= _MAX_DECIMAL_PRECISION:
        raise UnsupportedSchemaError(
            f"{path}: decimal precision {precision!r} is outside 1..{_MAX_DECIMAL_PRECISION}"
        )
    return _Node(pa.decimal128(precision, scale))


def _record(avro: dict[str, Any], path: str) -> _Node:
    fields = [_field(f, f"{path}.") for f in avro["fields"]]
    struct = pa.struct([pa.field(name, node.type, node.nullable) for name, node in fields])
    to_convert = tuple((name, node.convert) for name, node in fields if node.convert is not None)
    if not to_convert:
        return _Node(struct)

    def convert(record: dict[str, Any]) -> dict[str, Any]:
        out = dict(record)
        for name, field_convert in to_convert:
            out[name] = field_convert(record[name])
        return out

    return _Node(struct, convert=convert)


def _union(branches: list[Any], path: str) -> _Node:
    non_null = [b for b in branches if b != "null" and b != {"type": "null"}]
    has_null = len(non_null) < len(branches)
    if not non_null:
        return _Node(pa.null(), nullable=True)
    if len(non_null) == 1:
        node = _compile(non_null[0], path)
        return _Node(node.type, has_null or node.nullable, _or_none(node.convert))
    if all(isinstance(b, dict) and b.get("type") == "record" for b in non_null):
        return _record_union(non_null, has_null, path)
    raise UnsupportedSchemaError(
        f"{path}: a union of several types is supported only when all are records"
    )


def _record_union(branches: list[dict[str, Any]], has_null: bool, path: str) -> _Node:
    by_name: dict[str, tuple[str, Converter | None]] = {}
    fields: list[pa.Field] = []
    for branch in branches:
        full = branch["name"]
        short = full.rsplit(".", 1)[-1]
        if any(f.name == short for f in fields):
            raise UnsupportedSchemaError(f"{path}: two union branches are named {short!r}")
        node = _compile(branch, f"{path}.{short}")
        fields.append(pa.field(short, node.type, nullable=True))
        by_name[full] = by_name[short] = (short, node.convert)

    def convert(value: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        try:
            name, record = value
            short, branch_convert = by_name[name]
        except (TypeError, ValueError, KeyError) as e:
            raise TypeError(f"{path}: expected a (record name, record) tuple: {value!r:.80}") from e
        return {short: record if branch_convert is None else branch_convert(record)}

    return _Node(pa.struct(fields), has_null, convert)


def _or_none(convert: Converter | None) -> Converter | None:
    if convert is None:
        return None
    return lambda value: None if value is None else convert(value)


def _each(item: _Node) -> Converter | None:
    convert = item.convert
    if convert is None:
        return None
    return lambda values: [convert(v) for v in values]


def _each_value(value: _Node) -> Converter | None:
    convert = value.convert
    if convert is None:
        return None
    return lambda values: {k: convert(v) for k, v in values.items()}
