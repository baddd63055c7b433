"""Field defaults checked as Confluent's registry checks them (Avro Java, validateDefaults on).

The Python ``avro`` parser accepts any default; Java's refuses a default that is not a value of
the field's type — for a union, of its *first* branch (so ``"null"``, a string, is no default
for ``["null", "string"]``) — with "Invalid default for field F: V not a T". A record default
is checked field by field, a missing field taking that field's own default.
"""

from __future__ import annotations

import json
from typing import Any

import avro.schema

_INT_BOUND = 2**31
_LONG_BOUND = 2**63


def invalid_default(model: avro.schema.Schema) -> str | None:
    """Java's message for the first field whose default is no value of its type, or None."""
    return _walk(model, set())


def _walk(schema: avro.schema.Schema, seen: set[str]) -> str | None:
    if isinstance(schema, avro.schema.RecordSchema):
        if schema.fullname in seen:
            return None
        seen.add(schema.fullname)
        for field in schema.fields:
            if field.has_default and not _valid(field.type, field.default):
                return (
                    f"Invalid default for field {field.name}: {_compact(field.default)} "
                    f"not a {_compact(field.type.to_json())}"
                )
            found = _walk(field.type, seen)
            if found is not None:
                return found
        return None
    children: list[avro.schema.Schema] = []
    if isinstance(schema, avro.schema.UnionSchema):
        children = list(schema.schemas)
    elif isinstance(schema, avro.schema.ArraySchema):
        children = [schema.items]
    elif isinstance(schema, avro.schema.MapSchema):
        children = [schema.values]
    return next((m for m in (_walk(c, seen) for c in children) if m is not None), None)


def _valid(schema: avro.schema.Schema, value: Any) -> bool:
    kind = schema.type
    if kind in ("string", "bytes", "enum", "fixed"):
        return isinstance(value, str)
    if kind in ("int", "long"):
        bound = _INT_BOUND if kind == "int" else _LONG_BOUND
        return isinstance(value, int) and not isinstance(value, bool) and -bound <= value < bound
    if kind in ("float", "double"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "null":
        return value is None
    if isinstance(schema, avro.schema.UnionSchema):
        return _valid(schema.schemas[0], value)
    if isinstance(schema, avro.schema.ArraySchema):
        return isinstance(value, list) and all(_valid(schema.items, v) for v in value)
    if isinstance(schema, avro.schema.MapSchema):
        return isinstance(value, dict) and all(_valid(schema.values, v) for v in value.values())
    if isinstance(schema, avro.schema.RecordSchema):
        return isinstance(value, dict) and all(
            _valid(f.type, value[f.name])
            if f.name in value
            else f.has_default and _valid(f.type, f.default)
            for f in schema.fields
        )
    return True


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
