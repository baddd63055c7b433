"""Schema evolution of a lake table: the table's schema widened to hold a newer writer's records.

``merge`` is pure: the table's Arrow schema and the Arrow schema of a writer (``avro_to_arrow``)
give the schema the table must have to hold both the rows it has and the writer's. Allowed:
fields added (always as optional: older rows have no value), fields absent from the writer
(made optional: its rows have no value), a required field becoming nullable, and Iceberg's type
promotions int→long, float→double and a decimal's precision widened. A new enum symbol needs
nothing (enums are stored as strings). Anything else — a field changing to a type the column
cannot be promoted to — raises IncompatibleSchemaError naming the field.

``widen`` records the merged schema in a pyiceberg transaction with ``union_by_name``, so the
evolution commits atomically with the rows (and offsets) that need it.
"""

from __future__ import annotations

import logging

import pyarrow as pa
from pyiceberg.table import Transaction

from lake.errors import IncompatibleSchemaError, SchemaMismatchError

log = logging.getLogger(__name__)

_WIDER: dict[tuple[pa.DataType, pa.DataType], pa.DataType] = {
    (pa.int32(), pa.int64()): pa.int64(),
    (pa.int64(), pa.int32()): pa.int64(),
    (pa.float32(), pa.float64()): pa.float64(),
    (pa.float64(), pa.float32()): pa.float64(),
}
_PLAIN = {pa.large_string(): pa.string(), pa.large_binary(): pa.binary()}
_MAX_DECIMAL_PRECISION = 38


def merge(current: pa.Schema, incoming: pa.Schema) -> pa.Schema:
    """The schema holding rows of ``current`` and of ``incoming`` (``current``'s columns first)."""
    return pa.schema(_merge_fields(list(current), list(incoming), ""), metadata=current.metadata)


def widen(txn: Transaction, incoming: pa.Schema) -> pa.Schema:
    """Evolve the transaction's table to hold rows of ``incoming``; its Arrow schema after.

    The change is committed with the transaction (pyiceberg's ``union_by_name`` of ``merge``).
    """
    current = txn.table_metadata.schema().as_arrow()
    merged = merge(current, incoming)
    if merged.equals(current, check_metadata=False):
        return current
    with txn.update_schema() as update:
        update.union_by_name(merged)
    log.info("lake table %s evolves to hold %s", txn.table_metadata.location, merged.names)
    return txn.table_metadata.schema().as_arrow()


def conform(data: pa.Table, target: pa.Schema, name: str) -> pa.Table:
    """``data`` in ``target``'s column order and types, absent optional columns as nulls.

    Nested fields are matched by name too (Arrow fills a struct's absent fields with nulls).
    SchemaMismatchError, naming the columns, if a required column is absent or one is unknown.
    """
    absent = [f for f in target if f.name not in data.schema.names]
    missing = [f.name for f in absent if not f.nullable]
    extra = [n for n in data.schema.names if n not in target.names]
    if missing or extra:
        raise SchemaMismatchError(f"data does not fit {name}: missing {missing}, unknown {extra}")
    for field in absent:
        data = data.append_column(field.name, pa.nulls(data.num_rows, field.type))
    if data.schema.names != target.names:
        data = data.select(target.names)
    if data.schema.equals(target, check_metadata=False):
        return data
    try:
        return data.cast(target)
    except (ValueError, pa.ArrowException) as e:
        raise SchemaMismatchError(f"data does not fit {name}: {e}") from e


def _merge_fields(current: list[pa.Field], incoming: list[pa.Field], path: str) -> list[pa.Field]:
    by_name = {f.name: f for f in incoming}
    fields = []
    for field in current:
        new = by_name.pop(field.name, None)
        if new is None:  # the writer has no value for it
            fields.append(field.with_nullable(True))
            continue
        merged_type = _merge_type(field.type, new.type, f"{path}{field.name}")
        fields.append(field.with_type(merged_type).with_nullable(field.nullable or new.nullable))
    fields += [f.with_nullable(True) for f in incoming if f.name in by_name]  # added
    return fields


def _merge_type(current: pa.DataType, incoming: pa.DataType, path: str) -> pa.DataType:
    if pa.types.is_struct(current) and pa.types.is_struct(incoming):
        return pa.struct(_merge_fields(list(current), list(incoming), f"{path}."))
    if _is_list(current) and _is_list(incoming):
        element = _merge_child(current.value_field, incoming.value_field, f"{path}[]")
        return pa.large_list(element) if pa.types.is_large_list(current) else pa.list_(element)
    if pa.types.is_map(current) and pa.types.is_map(incoming):
        _merge_type(current.key_type, incoming.key_type, f"{path}{{key}}")
        value = _merge_child(current.item_field, incoming.item_field, f"{path}{{}}")
        return pa.map_(current.key_field, value)
    return _merge_primitive(current, incoming, path)


def _merge_child(current: pa.Field, incoming: pa.Field, path: str) -> pa.Field:
    """A list's element or a map's value, merged."""
    merged = _merge_type(current.type, incoming.type, path)
    return current.with_type(merged).with_nullable(current.nullable or incoming.nullable)


def _merge_primitive(current: pa.DataType, incoming: pa.DataType, path: str) -> pa.DataType:
    if _PLAIN.get(current, current) == _PLAIN.get(incoming, incoming):
        return current
    wider = _WIDER.get((current, incoming))
    if wider is not None:
        return wider
    if (
        pa.types.is_decimal(current)
        and pa.types.is_decimal(incoming)
        and current.scale == incoming.scale
        and max(current.precision, incoming.precision) <= _MAX_DECIMAL_PRECISION
    ):
        return pa.decimal128(max(current.precision, incoming.precision), current.scale)
    raise IncompatibleSchemaError(
        f"field {path} changed type incompatibly: the lake column is {_name(current)}, the "
        f"writer's is {_name(incoming)} (the lake promotes only int→long, float→double and "
        "a decimal's precision)",
        path,
    )


def _name(data_type: pa.DataType) -> str:
    return str(_PLAIN.get(data_type, data_type))


def _is_list(data_type: pa.DataType) -> bool:
    return bool(pa.types.is_list(data_type) or pa.types.is_large_list(data_type))
