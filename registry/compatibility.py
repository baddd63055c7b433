"""Compatibility levels, checked with Apache Avro's reader/writer checker (the rules of Java's
``SchemaCompatibility``, which Confluent's registry calls), Tide's JSON Schema checker and
Confluent's Protobuf rules (``protobuf_compatibility``)."""

from __future__ import annotations

from enum import StrEnum

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from registry import json_compatibility, protobuf_compatibility
from registry.canonical import ParsedSchema, parse
from registry.errors import InvalidCompatibilityLevelError


class Level(StrEnum):
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    NONE = "NONE"


DEFAULT_LEVEL = Level.BACKWARD


def parse_level(text: object) -> Level:
    try:
        return Level(str(text).upper())
    except ValueError as e:
        raise InvalidCompatibilityLevelError(
            f"Invalid compatibility level {text!r}; valid: {', '.join(Level)}"
        ) from e


def _directions(level: Level) -> tuple[bool, bool]:
    """(new schema must read old data, old schema must read new data)."""
    backward = level.startswith(("BACKWARD", "FULL"))
    forward = level.startswith(("FORWARD", "FULL"))
    return backward, forward


def _avro_reasons(reader: avro.schema.Schema, writer: avro.schema.Schema) -> list[str]:
    result = ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
    if result.compatibility is SchemaCompatibilityType.compatible:
        return []
    kinds = ", ".join(sorted(i.value for i in result.incompatibilities))
    where = ", ".join(sorted(result.locations))
    details = "; ".join(sorted(str(m) for m in result.messages))
    return [f"{kinds} at {where} ({details})"]


def _reasons(reader: ParsedSchema, writer: ParsedSchema) -> list[str]:
    """Why data written with ``writer`` cannot be read with ``reader``."""
    if reader.schema_type != writer.schema_type:
        return [f"TYPE_CHANGED: schema type {writer.schema_type} became {reader.schema_type}"]
    if reader.schema_type == "JSON":
        return json_compatibility.incompatibilities(reader.model, writer.model)
    if reader.schema_type == "PROTOBUF":
        return protobuf_compatibility.incompatibilities(reader.model, writer.model)
    return _avro_reasons(reader.model, writer.model)


def check(new: ParsedSchema, existing: list[tuple[int, ParsedSchema]], level: Level) -> list[str]:
    """Why ``new`` may not follow ``existing`` (version, schema; oldest first) under ``level``.

    Non-transitive levels compare with the latest version only; transitive ones with all.
    An empty list means compatible. Every reason names the version, the rule and the path.
    """
    if level is Level.NONE or not existing:
        return []
    targets = existing if level.endswith("TRANSITIVE") else existing[-1:]
    backward, forward = _directions(level)
    reasons: list[str] = []
    for version, old in targets:
        if backward:
            what = f"new schema cannot read version {version}"
            reasons += [f"{what}: {r}" for r in _reasons(new, old)]
        if forward:
            what = f"version {version} cannot read the new schema"
            reasons += [f"{what}: {r}" for r in _reasons(old, new)]
    return reasons


def first_break(
    new: ParsedSchema, existing: list[tuple[int, ParsedSchema]], level: Level
) -> tuple[int, list[str], bool] | None:
    """The first version ``new`` may not follow, as Confluent looks: newest first.

    (version, reasons, whether Confluent's message names that version) or None. Confluent
    names it when the new schema cannot read it, or under a one-way level; under FULL, a
    version that only cannot read the new schema goes unnamed.
    """
    if level is Level.NONE or not existing:
        return None
    targets = existing if level.endswith("TRANSITIVE") else existing[-1:]
    backward, forward = _directions(level)
    for version, old in reversed(targets):
        ahead = [f"version {version} cannot read the new schema: {r}" for r in _reasons(old, new)]
        behind = [f"new schema cannot read version {version}: {r}" for r in _reasons(new, old)]
        reasons = (ahead if forward else []) + (behind if backward else [])
        if reasons:
            return version, reasons, not (forward and backward) or bool(behind)
    return None


def incompatibilities(new: str, existing: list[tuple[int, str]], level: Level) -> list[str]:
    """:func:`check` for Avro schema texts without references."""
    return check(parse(new), [(v, parse(text)) for v, text in existing], level)
