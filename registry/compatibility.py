"""Compatibility levels, checked with Apache Avro's reader/writer checker (the rules of Java's
``SchemaCompatibility``, which Confluent's registry calls)."""

from __future__ import annotations

from enum import StrEnum

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

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


def _check(reader: avro.schema.Schema, writer: avro.schema.Schema, what: str) -> list[str]:
    result = ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
    if result.compatibility is SchemaCompatibilityType.compatible:
        return []
    kinds = ", ".join(sorted(i.value for i in result.incompatibilities))
    where = ", ".join(sorted(result.locations))
    details = "; ".join(sorted(str(m) for m in result.messages))
    return [f"{what}: {kinds} at {where} ({details})"]


def incompatibilities(new: str, existing: list[tuple[int, str]], level: Level) -> list[str]:
    """Why ``new`` may not follow ``existing`` (version, schema; oldest first) under ``level``.

    Non-transitive levels compare with the latest version only; transitive ones with all.
    An empty list means compatible.
    """
    if level is Level.NONE or not existing:
        return []
    targets = existing if level.endswith("TRANSITIVE") else existing[-1:]
    backward, forward = _directions(level)
    candidate = avro.schema.parse(new)
    reasons: list[str] = []
    for version, text in targets:
        old = avro.schema.parse(text)
        if backward:
            reasons += _check(candidate, old, f"new schema cannot read version {version}")
        if forward:
            reasons += _check(old, candidate, f"version {version} cannot read the new schema")
    return reasons
