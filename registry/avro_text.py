"""The schema string Confluent's registry returns for an Avro schema: Avro Java's
``Schema.toString()`` of the parsed schema, referenced types written by name.

Confluent stores and returns ``AvroSchema.canonicalString()``, which is
``schema.toString(referencedSchemas, false)``: compact JSON whose attributes come in the order
Avro's Java writer emits them (``type, name, namespace, doc, fields, <props>, aliases``; for a
field ``name, type, doc, default, order, aliases, <props>``), namespaces written only where they
differ from the enclosing one, a named type written in full once and by name after that.

Hand-written because no Python library emits Java's order: the ``avro`` package's ``to_json``
writes its own order and spelling. It walks JSON that the ``avro`` package has already
validated; what it decides is only how that schema is spelled.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
# Avro's Schema.Type names: a short name equal to one of them is always written in full
_TYPE_NAMES = PRIMITIVES | {"record", "enum", "array", "map", "union", "fixed"}
_SCHEMA_RESERVED = frozenset(
    {"doc", "fields", "items", "name", "namespace", "size", "symbols", "values", "type", "aliases"}
)
_ENUM_RESERVED = _SCHEMA_RESERVED | {"default"}
_FIELD_RESERVED = frozenset({"default", "doc", "name", "order", "type", "aliases"})
_ESCAPE = re.compile(r"\\(u[0-9a-f]{4}|.)")


@dataclass(frozen=True)
class _Name:
    name: str
    space: str | None

    @staticmethod
    def of(name: str, space: str | None) -> _Name:
        if "." in name:
            space, name = name.rsplit(".", 1)
        return _Name(name, space or None)

    @property
    def full(self) -> str:
        return self.name if self.space is None else f"{self.space}.{self.name}"

    def qualified(self, current: str | None) -> str:
        """Java's ``Name.getQualified``: the short name inside its own namespace."""
        if self.space is not None and self.space == current and self.name not in _TYPE_NAMES:
            return self.name
        return self.full


@dataclass
class _Named:
    kind: str  # record, error, enum, fixed
    name: _Name
    node: dict[str, Any]
    fields: list[dict[str, Any]] = field(default_factory=list)  # records: parsed fields


@dataclass
class _Context:
    named: dict[str, _Named] = field(default_factory=dict)  # full name -> definition
    known: set[str] = field(default_factory=set)  # names already written (or referenced)


def confluent_string(text: str, dependencies: Sequence[str] = ()) -> str:
    """Confluent's schema string for the Avro schema ``text``.

    ``dependencies``: texts of the schemas its references name, each after the ones it needs.
    Their top-level names are written by name, as Confluent does; a type nested in one of them
    is written in full where it is first used.
    """
    context = _Context()
    for dependency in dependencies:
        top = _parse(json.loads(dependency), None, context)
        if isinstance(top, _Named):
            context.known.add(top.name.full)
    model = _parse(json.loads(text), None, context)
    return _dumps(_write(model, None, context))


# ---------------------------------------------------------------- parsing (Java's Schema.parse)


def _parse(node: Any, space: str | None, context: _Context) -> Any:
    """A model: primitive names as str, _Named, ("ref", full name), ("array"/"map", model, node),
    ("union", [models]) or ("primitive", name, props)."""
    if isinstance(node, str):
        return node if node in PRIMITIVES else ("ref", _resolve(node, space, context))
    if isinstance(node, list):
        return ("union", [_parse(n, space, context) for n in node])
    kind = node.get("type")
    if isinstance(kind, dict | list):  # not Avro, but let through by the parser: the inner type
        return _parse(kind, space, context)
    if kind in PRIMITIVES:
        props = _props(node, _SCHEMA_RESERVED)
        return ("primitive", kind, props) if props else kind
    if kind in ("record", "error", "enum", "fixed"):
        return _parse_named(node, space, context)
    if kind == "array":
        return ("array", _parse(node["items"], space, context), node)
    if kind == "map":
        return ("map", _parse(node["values"], space, context), node)
    return ("ref", _resolve(str(kind), space, context))  # {"type": "ns.Name"}: a reference


def _parse_named(node: dict[str, Any], space: str | None, context: _Context) -> _Named:
    given = node.get("namespace")
    name = _Name.of(str(node["name"]), given if isinstance(given, str) else space)
    named = _Named(str(node["type"]), name, node)
    context.named.setdefault(name.full, named)
    if named.kind in ("record", "error"):
        named.fields = [_parse_field(f, name.space, context) for f in node.get("fields", [])]
    return named


def _parse_field(node: dict[str, Any], space: str | None, context: _Context) -> dict[str, Any]:
    parsed = dict(node)
    parsed["type"] = _parse(node["type"], space, context)
    default = node.get("default")
    if isinstance(default, str) and _primitive_of(parsed["type"]) in ("float", "double"):
        with contextlib.suppress(ValueError):
            parsed["default"] = float(default)  # Java parses a textual float default
    return parsed


def _primitive_of(model: Any) -> str | None:
    if isinstance(model, str):
        return model
    if isinstance(model, tuple) and model[0] == "primitive":
        return str(model[1])
    return None


def _resolve(name: str, space: str | None, context: _Context) -> str:
    """Java's ``ParseContext.find``: the name in the current namespace, else as written."""
    if space is not None and "." not in name and f"{space}.{name}" in context.named:
        return f"{space}.{name}"
    if name in context.named or "." in name or space is None:
        return name
    return f"{space}.{name}"


def _props(node: dict[str, Any], reserved: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k not in reserved}


# ---------------------------------------------------------------- writing (Java's Schema.toJson)


def _write(model: Any, space: str | None, context: _Context) -> Any:
    if isinstance(model, str):
        return model
    if isinstance(model, _Named):
        return _write_named(model, space, context)
    tag = model[0]
    if tag == "ref":
        target = context.named.get(model[1])
        if target is None:
            return _Name.of(model[1], None).qualified(space)
        return _write_named(target, space, context)
    if tag == "union":
        return [_write(m, space, context) for m in model[1]]
    if tag == "primitive":
        return {"type": model[1], **model[2]}
    key = "items" if tag == "array" else "values"
    inner = _write(model[1], space, context)
    return {"type": tag, key: inner, **_props(model[2], _SCHEMA_RESERVED)}


def _write_named(named: _Named, space: str | None, context: _Context) -> Any:
    name = named.name
    if name.full in context.known:
        return name.qualified(space)
    context.known.add(name.full)
    node = named.node
    out: dict[str, Any] = {"type": named.kind, "name": name.name}
    if name.space is not None:
        if name.space != space:
            out["namespace"] = name.space
    elif space is not None:
        out["namespace"] = ""
    if isinstance(node.get("doc"), str):
        out["doc"] = node["doc"]
    if named.kind in ("record", "error"):
        out["fields"] = [_write_field(f, name.space, context) for f in named.fields]
    elif named.kind == "enum":
        out["symbols"] = node["symbols"]
        if isinstance(node.get("default"), str):
            out["default"] = node["default"]
    else:
        out["size"] = node["size"]
    out.update(_props(node, _ENUM_RESERVED if named.kind == "enum" else _SCHEMA_RESERVED))
    aliases = _unique(_Name.of(a, name.space).qualified(name.space) for a in _aliases(node))
    if aliases:
        out["aliases"] = aliases
    return out


def _write_field(parsed: dict[str, Any], space: str | None, context: _Context) -> dict[str, Any]:
    out: dict[str, Any] = {"name": parsed["name"], "type": _write(parsed["type"], space, context)}
    if isinstance(parsed.get("doc"), str):
        out["doc"] = parsed["doc"]
    if "default" in parsed:
        out["default"] = parsed["default"]
    order = parsed.get("order")
    if isinstance(order, str) and order.upper() != "ASCENDING":
        out["order"] = order.lower()
    aliases = _unique(_aliases(parsed))
    if aliases:
        out["aliases"] = aliases
    out.update(_props(parsed, _FIELD_RESERVED))
    return out


def _aliases(node: dict[str, Any]) -> list[str]:
    given = node.get("aliases")
    return [a for a in given if isinstance(a, str)] if isinstance(given, list) else []


def _unique(items: Any) -> list[str]:
    return list(dict.fromkeys(items))


# ---------------------------------------------------------------- Jackson's compact JSON


def _dumps(value: Any) -> str:
    """Compact JSON as Jackson writes it: raw UTF-8, upper-case \\u escapes, Java doubles."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{_string(k)}:{_dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dumps(v) for v in value) + "]"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, float):
        return java_double(value)
    return json.dumps(value)


def _string(text: str) -> str:
    try:
        written = json.dumps(text, ensure_ascii=False)
        written.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate cannot go out raw
        written = json.dumps(text)
    return _ESCAPE.sub(_upper_hex, written)


def _upper_hex(match: re.Match[str]) -> str:
    escape = match.group(1)
    return "\\u" + escape[1:].upper() if len(escape) == 5 else match.group(0)


def java_double(x: float) -> str:
    """Java's ``Double.toString``: plain within [1e-3, 1e7), else ``d.dddE<n>``."""
    if math.isnan(x):
        return '"NaN"'
    if math.isinf(x):
        return '"Infinity"' if x > 0 else '"-Infinity"'
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    sign, digits, exponent = Decimal(repr(x)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    point = len(digits) + int(exponent) - 1  # the decimal exponent of the first digit
    prefix = "-" if sign else ""
    if 1e-3 <= abs(x) < 1e7:
        if point >= 0:
            whole = text[: point + 1].ljust(point + 1, "0")
            return f"{prefix}{whole}.{text[point + 1 :] or '0'}"
        return f"{prefix}0.{'0' * (-point - 1)}{text}"
    return f"{prefix}{text[0]}.{text[1:] or '0'}E{point}"
