"""DuckDB's Arrow output of ``read_avro`` given the lake's Arrow types (``avro_to_arrow``).

Leaves only need a cast (an enum's dictionary to string, a naive timestamp — the UTC instant
Avro holds, millis or micros — to ``timestamp[us, UTC]``). Two shapes need building: a union of
records, which DuckDB returns as a sparse union and the lake stores as a struct with one
nullable field per branch (see ``lake.arrow_schema``), and a decimal on Avro ``bytes``, which
DuckDB leaves as its two's-complement bytes.

Nested columns are rebuilt from their children, never cast whole, because of nullability:
where a record is null (a null optional record, or a union branch not taken) DuckDB gives a
struct whose children are null, and Arrow refuses a null in a field declared non-nullable even
under a null parent ("declared non-nullable but contains nulls"). So the null is kept on the
record itself (its validity bit off) and its required children get a placeholder value — zero,
empty — hidden by that bit, as fastavro's record-by-record path builds them.
"""

from __future__ import annotations

from decimal import Decimal
from functools import reduce
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


def adapt(column: pa.ChunkedArray, target: pa.DataType, nullable: bool = True) -> pa.ChunkedArray:
    """``column`` as ``target``; TypeError if its shape is not one ``read_avro`` gives for it."""
    return pa.chunked_array([_array(chunk, target, nullable) for chunk in column.chunks], target)


def _array(array: pa.Array, target: pa.DataType, nullable: bool) -> pa.Array:
    """``array`` as ``target``; if not ``nullable``, its null slots (which lie under a null
    parent) hold a placeholder instead."""
    built = _build(array, target)
    if nullable or not built.null_count:
        return built
    return pc.fill_null(built, pa.scalar(placeholder(target), target))


def _build(array: pa.Array, target: pa.DataType) -> pa.Array:
    if pa.types.is_union(array.type):
        return _branches(array, target)
    if pa.types.is_decimal(target) and not pa.types.is_decimal(array.type):
        return _decimal(array, target)
    if pa.types.is_struct(target):
        return _struct(array, target)
    if pa.types.is_map(target):
        return _map(array, target)
    if pa.types.is_list(target):
        return _list(array, target)
    if _is_nested(array.type):
        raise TypeError(f"cannot give {array.type} the lake type {target}")
    return array.cast(target)


def _struct(array: pa.Array, target: pa.StructType) -> pa.StructArray:
    if not pa.types.is_struct(array.type):
        raise TypeError(f"cannot give {array.type} the lake type {target}")
    children = []
    for field in target:
        index = array.type.get_field_index(field.name)
        child = array.field(index) if index >= 0 else pa.nulls(len(array), field.type)
        children.append(_array(child, field.type, field.nullable))
    return pa.StructArray.from_arrays(children, fields=list(target), mask=_mask(array))


def _list(array: pa.Array, target: pa.ListType) -> pa.ListArray:
    if not pa.types.is_list(array.type):
        raise TypeError(f"cannot give {array.type} the lake type {target}")
    element = target.value_field
    values = _array(array.values, element.type, element.nullable)
    return pa.ListArray.from_arrays(array.offsets, values, type=target, mask=_mask(array))


def _map(array: pa.Array, target: pa.MapType) -> pa.MapArray:
    if not pa.types.is_map(array.type):
        raise TypeError(f"cannot give {array.type} the lake type {target}")
    keys = _array(array.keys, target.key_type, False)
    items = _array(array.items, target.item_type, target.item_field.nullable)
    return pa.MapArray.from_arrays(array.offsets, keys, items, type=target, mask=_mask(array))


def _branches(union: pa.UnionArray, target: pa.DataType) -> pa.StructArray:
    """A sparse union of records as a struct of its branches: in each row the branch taken is
    a valid struct, the others null structs (not structs of null fields)."""
    if (
        not pa.types.is_struct(target)
        or union.type.mode != "sparse"
        or union.type.num_fields != target.num_fields
    ):
        raise TypeError(f"cannot give {union.type} the lake type {target}")
    codes = union.type_codes
    children, taken = [], []
    for i, (field, code) in enumerate(zip(target, union.type.type_codes, strict=True)):
        raw = union.field(i)
        chosen = pc.and_(pc.equal(codes, code), raw.is_valid())
        # Built as if every row took it (required fields get placeholders where it is not),
        # then masked to the rows that did.
        whole = _array(raw, field.type, False)
        kids = [whole.field(j) for j in range(whole.type.num_fields)]
        masked = pa.StructArray.from_arrays(kids, fields=list(field.type), mask=pc.invert(chosen))
        children.append(masked)
        taken.append(chosen)
    mask = pc.invert(reduce(pc.or_, taken)) if taken else None
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


def placeholder(data_type: pa.DataType) -> Any:
    """The value a required field holds under a null parent: zero, empty, all-zero bytes."""
    if pa.types.is_struct(data_type):
        return {f.name: None if f.nullable else placeholder(f.type) for f in data_type}
    if (
        pa.types.is_list(data_type)
        or pa.types.is_large_list(data_type)
        or pa.types.is_map(data_type)
    ):
        return []
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return ""
    if pa.types.is_fixed_size_binary(data_type):
        return bytes(data_type.byte_width)
    if pa.types.is_binary(data_type) or pa.types.is_large_binary(data_type):
        return b""
    if pa.types.is_boolean(data_type):
        return False
    if pa.types.is_decimal(data_type):
        return Decimal(0)
    if pa.types.is_floating(data_type):
        return 0.0
    return 0  # integers, dates and timestamps (the epoch)


def _mask(array: pa.Array) -> pa.Array | None:
    return array.is_null() if array.null_count else None


def _is_nested(data_type: pa.DataType) -> bool:
    return bool(
        pa.types.is_struct(data_type)
        or pa.types.is_list(data_type)
        or pa.types.is_large_list(data_type)
        or pa.types.is_map(data_type)
    )
