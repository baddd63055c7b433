"""Why a value does not match an Avro schema, in words naming the field.

fastavro says *that* a value does not match, in the words of the Python error it hit ("'str'
object has no attribute 'popitem'", "'PHONE' is not in list") or as "Click.page is None of type
<class 'NoneType'> expected string". This walks the value against the schema and names the first
mismatch: its path, what the schema expects and what the value is — the same words for a line in
Avro's JSON encoding (a union branch written ``{"type": value}``) and for an event handed to the
serializer (a union holds the value itself). It is consulted only once fastavro has refused, so
it never decides what is accepted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_INT_RANGE = {"int": 2**31, "long": 2**63}
_NUMBER = {"int", "long", "float", "double"}


def first_mismatch(value: Any, schema: Any, json_encoded: bool = True) -> str | None:
    """``path: expected …, got …`` for the first place ``value`` departs from the parsed
    ``schema``; ``json_encoded`` when unions are written as in Avro's JSON encoding."""
    named = schema.get("__named_schemas", {}) if isinstance(schema, dict) else {}
    return _check(value, schema, "", _Walk(named, json_encoded))


@dataclass(frozen=True)
class _Walk:
    named: dict[str, Any]  # full name → definition, as fastavro's parsed schema keeps them
    json_encoded: bool


def _check(value: Any, schema: Any, path: str, walk: _Walk) -> str | None:
    named = walk.named
    if isinstance(schema, list):
        return _union(value, schema, path, walk)
    if isinstance(schema, str) and schema in named:
        return _check(value, named[schema], path, walk)
    kind = schema if isinstance(schema, str) else schema["type"]
    if isinstance(kind, dict | list):  # {"type": {...}}: a nested definition
        return _check(value, kind, path, walk)
    if kind in ("record", "error"):
        return _record(value, schema, path, walk)
    if kind == "enum":
        if isinstance(value, str) and value in schema["symbols"]:
            return None
        symbols = ", ".join(schema["symbols"])
        return _expected(path, f"one of {symbols} (enum {schema['name']})", value)
    if kind == "array":
        if not isinstance(value, list):
            return _expected(path, "an array", value)
        items = schema["items"]
        return _first(_check(v, items, f"{path}[{i}]", walk) for i, v in enumerate(value))
    if kind == "map":
        if not isinstance(value, dict):
            return _expected(path, "a map (JSON object)", value)
        values = schema["values"]
        return _first(_check(v, values, f"{path}[{k!r}]", walk) for k, v in value.items())
    return _primitive(value, kind, schema, path)


def _record(value: Any, schema: dict[str, Any], path: str, walk: _Walk) -> str | None:
    if not isinstance(value, dict):
        return _expected(path, f"a record {schema['name']} (JSON object)", value)
    for field in schema["fields"]:
        name, where = field["name"], f"{path}.{field['name']}" if path else field["name"]
        if name not in value:
            if "default" in field:
                continue
            return f"{where}: missing (the field has no default)"
        problem = _check(value[name], field["type"], where, walk)
        if problem is not None:
            return problem
    return None


def _union(value: Any, branches: list[Any], path: str, walk: _Walk) -> str | None:
    names = [_name(b) for b in branches]
    if value is None:
        return None if "null" in names else _expected(path, f"one of {', '.join(names)}", value)
    if not walk.json_encoded:
        return _datum_union(value, branches, names, path, walk)
    if not (isinstance(value, dict) and len(value) == 1):
        wanted = " or ".join(f'{{"{n}": …}}' for n in names if n != "null")
        return _expected(path, f"a union value written as {wanted}", value)
    ((branch, inner),) = value.items()
    for name, schema in zip(names, branches, strict=True):
        if branch == name or name.rsplit(".", 1)[-1] == branch:
            return _check(inner, schema, path, walk)
    return f"{path or 'value'}: union branch {branch!r} is not one of {', '.join(names)}"


def _datum_union(
    value: Any, branches: list[Any], names: list[str], path: str, walk: _Walk
) -> str | None:
    """A union holding the value itself: it fits a branch, or the one non-null branch says why."""
    candidates = [(n, b) for n, b in zip(names, branches, strict=True) if n != "null"]
    problems = [_check(value, b, path, walk) for _, b in candidates]
    if any(p is None for p in problems):
        return None
    if len(problems) == 1:
        return problems[0]
    return _expected(path, f"one of {', '.join(n for n, _ in candidates)}", value)


def _primitive(value: Any, kind: str, schema: Any, path: str) -> str | None:
    logical = schema.get("logicalType") if isinstance(schema, dict) else None
    if logical and not isinstance(value, bool | int | float | str | bytes | list | dict):
        return None  # a datetime, UUID, Decimal …: the logical type's own value
    ok = {
        "null": value is None,
        "boolean": isinstance(value, bool),
        "string": isinstance(value, str),
        "bytes": isinstance(value, str | bytes),
        "fixed": isinstance(value, str | bytes),
    }.get(kind)
    if kind in _NUMBER:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and kind in _INT_RANGE:
            if not isinstance(value, int):
                return _expected(path, f"an integer ({kind})", value)
            bound = _INT_RANGE[kind]
            if not -bound <= value < bound:
                return f"{path or 'value'}: {value} is out of range for {kind}"
    if ok is None or ok:
        return None
    return _expected(path, f"{kind} ({logical})" if logical else kind, value)


def _name(schema: Any) -> str:
    if isinstance(schema, str):
        return schema
    if isinstance(schema, dict):
        return str(schema.get("name") or schema["type"])
    return "union"


def _expected(path: str, expected: str, value: Any) -> str:
    return f"{path or 'value'}: expected {expected}, got {_described(value)}"


def _described(value: Any) -> str:
    kind = {bool: "boolean", int: "number", float: "number", str: "string", list: "array",
            dict: "object", type(None): "null", bytes: "bytes"}.get(type(value),
                                                                 type(value).__name__)  # fmt: skip
    try:
        shown = json.dumps(value)
    except (TypeError, ValueError):
        shown = repr(value)
    return f"{kind} {shown if len(shown) <= 40 else shown[:37] + '...'}"


def _first(problems: Any) -> str | None:
    return next((p for p in problems if p is not None), None)
