"""DuckDB's Arrow output of ``read_avro`` given the lake's Arrow types (``avro_to_arrow``).

Most columns only need a cast (an enum's dictionary to string, a naive timestamp — the UTC
instant Avro holds — to ``timestamp[us, UTC]``, struct fields matched by name). Two need
building: a union of records, which DuckDB returns as a sparse union and the lake stores as a
struct with one nullable field per branch (see ``lake.arrow_schema``), and a decimal on Avro
``bytes``, which DuckDB leaves as its two's-complement bytes. Nested columns are rebuilt only
where they hold one of those, or a record with required fields.
"""

from __future__ import annotations

from decimal import Decimal
from functools import reduce

import pyarrow as pa
import pyarrow.compute as pc


def adapt(column: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray:
    """``column`` as ``target``; TypeError if its shape is not one ``read_avro`` gives for it."""
    if _castable(column.type, target):
        return column.cast(target)
    return pa.chunked_array([_array(chunk, target) for chunk in column.chunks], target)


def _castable(source: pa.DataType, target: pa.DataType) -> bool:
    if pa.types.is_union(source):
        return False
    if pa.types.is_decimal(target):
        return bool(pa.types.is_decimal(source))
    if pa.types.is_struct(source) and pa.types.is_struct(target):
        # A null record's fields are null in DuckDB's children, which a cast to a required
        # field refuses: such structs are rebuilt from their children instead.
        fields = [f for f in target if source.get_field_index(f.name) >= 0]
        return all(f.nullable and _castable(source.field(f.name).type, f.type) for f in fields)
    if pa.types.is_map(source) and pa.types.is_map(target):
        return _castable(source.item_type, target.item_type)
    if pa.types.is_list(source) and pa.types.is_list(target):
        return _castable(source.value_type, target.value_type)
    return True


def _array(array: pa.Array, target: pa.DataType) -> pa.Array:
    if _castable(array.type, target):
        return array.cast(target)
    if pa.types.is_union(array.type):
        return _branches(array, target)
    if pa.types.is_decimal(target):
        return _decimal(array, target)
    mask = array.is_null() if array.null_count else None
    if pa.types.is_struct(target):
        children = [_array(array.field(f.name), f.type) for f in target]
        return pa.StructArray.from_arrays(children, fields=list(target), mask=mask)
    if pa.types.is_map(target):
        items = _array(array.items, target.item_type)
        keys = array.keys.cast(target.key_type)
        return pa.MapArray.from_arrays(array.offsets, keys, items, type=target, mask=mask)
    if pa.types.is_list(target):
        values = _array(array.values, target.value_type)
        return pa.ListArray.from_arrays(array.offsets, values, type=target, mask=mask)
    raise TypeError(f"cannot give {array.type} the lake type {target}")


def _branches(union: pa.UnionArray, target: pa.DataType) -> pa.StructArray:
    """A sparse union of records as a struct of its branches (the others null in each row)."""
    if union.type.mode != "sparse" or union.type.num_fields != target.num_fields:
        raise TypeError(f"cannot give {union.type} the lake type {target}")
    codes = union.type_codes
    children, valid = [], []
    for i, (field, code) in enumerate(zip(target, union.type.type_codes, strict=True)):
        child = _array(union.field(i), field.type)
        chosen = pc.and_(pc.equal(codes, code), child.is_valid())
        children.append(pc.if_else(chosen, child, pa.nulls(len(child), field.type)))
        valid.append(chosen)
    mask = pc.invert(reduce(pc.or_, valid)) if valid else None
    return pa.StructArray.from_arrays(children, fields=list(target), mask=mask)


def _decimal(array: pa.Array, target: pa.DataType) -> pa.Array:
    """Avro's big-endian two's-complement decimal bytes as ``target`` (a decimal128)."""
    if not (pa.types.is_binary(array.type) or pa.types.is_fixed_size_binary(array.type)):
        raise TypeError(f"cannot give {array.type} the lake type {target}")
    scale = target.scale
    values = [
        None if raw is None else Decimal(int.from_bytes(raw, "big", signed=True)).scaleb(-scale)
        for raw in array.to_pylist()
    ]
    return pa.array(values, target)
