"""Validate schema text and compute the canonical form that decides schema identity."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import avro.errors
import avro.name
import avro.schema

from registry import json_schema, protobuf_schema
from registry.avro_defaults import invalid_default
from registry.avro_text import PRIMITIVES
from registry.errors import InvalidSchemaError
from registry.references import Dependency

SUPPORTED_TYPES = ("AVRO", "JSON", "PROTOBUF")


@dataclass(frozen=True)
class ParsedSchema:
    schema_type: str
    canonical: str
    model: Any  # avro.schema.Schema (AVRO), the document (JSON), a ProtoModel (PROTOBUF)
    # equal for equivalent schemas, referenced types written in full where first used
    # (what Confluent's ``ParsedSchema.equivalent`` compares)
    resolved: str = ""


def canonical_json(text: str) -> str:
    """Whitespace- and key-order-insensitive form; field order survives (fields is an array)."""
    return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))


def schema_kind(given: object) -> str:
    """The request's ``schemaType`` (absent: AVRO), upper-cased, or 42201 naming what is wrong."""
    if given is None:
        return "AVRO"
    if not isinstance(given, str):
        raise InvalidSchemaError(f"'schemaType' must be a string, got {given!r}")
    kind = given.upper()
    if kind not in SUPPORTED_TYPES:
        raise InvalidSchemaError(
            f"unsupported schemaType {given!r} (supported: {', '.join(SUPPORTED_TYPES)})"
        )
    return kind


def parse(
    text: Any,
    schema_type: object = None,
    dependencies: Sequence[Dependency] = (),
    normalize: bool = False,
) -> ParsedSchema:
    """Validate ``text`` as a schema of ``schema_type`` (default AVRO) and canonicalize it.

    ``dependencies`` are the schemas its references name, those a schema depends on before
    it. ``normalize`` also folds spellings that mean the same schema
    (``{"type": "int"}`` and ``"int"``, namespaces written out or inherited, alias order).
    """
    kind = schema_kind(schema_type)
    if text is None or (isinstance(text, str) and not text.strip()):
        raise InvalidSchemaError("Empty schema")  # Confluent's words
    if not isinstance(text, str):
        raise InvalidSchemaError(f"'schema' must be a string, got {text!r}")
    if kind == "PROTOBUF":
        form, proto = protobuf_schema.parse(text, dependencies, normalize)
        return ParsedSchema(kind, form, proto, form)
    if kind == "JSON":
        if dependencies:
            raise InvalidSchemaError("references are supported for AVRO and PROTOBUF schemas only")
        form = json_schema.canonical(text)
        return ParsedSchema(kind, form, json.loads(form), form)
    names = avro.name.Names()
    for i, dependency in enumerate(dependencies):
        _avro(dependency.text, names, f"referenced schema #{i + 1}")
    referenced = dict(names.names)
    model = _avro(text, names, "schema")
    bad_default = invalid_default(model)
    if bad_default is not None:
        raise InvalidSchemaError(f"invalid Avro schema: {bad_default}")
    resolved = _normalized(model, {})
    if normalize:
        return ParsedSchema(kind, _normalized(model, referenced), model, resolved)
    return ParsedSchema(kind, canonical_json(text), model, resolved)


def _avro(text: str, names: avro.name.Names, what: str) -> avro.schema.Schema:
    try:
        return avro.schema.make_avsc_object(_bare_references(json.loads(text)), names)
    except (avro.errors.AvroException, json.JSONDecodeError, TypeError, ValueError) as e:
        raise InvalidSchemaError(f"invalid Avro {what}: {e}") from e
    except RecursionError as e:
        raise InvalidSchemaError(f"invalid Avro {what}: nested too deeply") from e


_DEFINES = PRIMITIVES | {"record", "error", "enum", "fixed", "array", "map"}


def _bare_references(node: Any) -> Any:
    """``{"type": "ns.Name"}`` — a named type referred to in object form, which Avro Java (and
    so Confluent) accepts — as the bare name the Python parser understands, wherever a schema
    may stand: a field's type, a union's branch, an array's items, a map's values."""
    if isinstance(node, list):
        return [_bare_references(n) for n in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    if isinstance(kind, str) and kind not in _DEFINES:
        return kind
    out = dict(node)
    if isinstance(kind, dict | list):
        out["type"] = _bare_references(kind)
    for key in ("items", "values"):
        if key in node:
            out[key] = _bare_references(node[key])
    if isinstance(node.get("fields"), list):
        out["fields"] = [
            {**f, "type": _bare_references(f["type"])} if isinstance(f, dict) and "type" in f else f
            for f in node["fields"]
        ]
    return out


def _normalized(model: avro.schema.Schema, referenced: dict[str, Any]) -> str:
    """The normalized text; the ``referenced`` types stay names, the others are inlined."""
    names = avro.name.Names()
    names.names.update(referenced)
    return json.dumps(_sorted_aliases(model.to_json(names)), sort_keys=True, separators=(",", ":"))


def _sorted_aliases(node: Any) -> Any:
    if isinstance(node, list):
        return [_sorted_aliases(n) for n in node]
    if isinstance(node, dict):
        return {
            k: sorted(v) if k == "aliases" and isinstance(v, list) else _sorted_aliases(v)
            for k, v in node.items()
        }
    return node
