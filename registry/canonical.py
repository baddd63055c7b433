"""Validate schema text and compute the canonical form that decides schema identity."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import avro.errors
import avro.schema

from registry.errors import InvalidSchemaError

SUPPORTED_TYPES = ("AVRO",)


@dataclass(frozen=True)
class ParsedSchema:
    schema_type: str
    canonical: str


def canonical_json(text: str) -> str:
    """Whitespace- and key-order-insensitive form; field order survives (fields is an array)."""
    return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))


def parse(text: Any, schema_type: str | None = None, references: Any = None) -> ParsedSchema:
    """Validate ``text`` as a schema of ``schema_type`` (default AVRO) and canonicalize it."""
    kind = (schema_type or "AVRO").upper()
    if kind not in SUPPORTED_TYPES:
        raise InvalidSchemaError(f"unsupported schemaType {schema_type!r} (supported: AVRO)")
    if references:
        raise InvalidSchemaError("schema references are not supported yet")
    if not isinstance(text, str) or not text.strip():
        raise InvalidSchemaError("the request has no 'schema' string")
    try:
        avro.schema.parse(text)
    except (avro.errors.AvroException, json.JSONDecodeError, TypeError, ValueError) as e:
        raise InvalidSchemaError(f"invalid Avro schema: {e}") from e
    return ParsedSchema(kind, canonical_json(text))
