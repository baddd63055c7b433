"""Reader/writer pairs under every level (Apache Avro's checker, as Confluent's registry)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from registry.compatibility import Level, incompatibilities


def record(*fields: dict[str, Any], name: str = "R", namespace: str = "t") -> str:
    return json.dumps({"type": "record", "name": name, "namespace": namespace,
                       "fields": list(fields)})  # fmt: skip


X_INT = {"name": "x", "type": "int"}
X_LONG = {"name": "x", "type": "long"}
Y_DEFAULT = {"name": "y", "type": "string", "default": ""}
Y_REQUIRED = {"name": "y", "type": "string"}
ENUM_AB = {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B"]}}
ENUM_ABC = {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}}


@pytest.mark.parametrize(
    ("old", "new", "backward", "forward"),
    [
        (record(X_INT), record(X_INT, Y_DEFAULT), True, True),  # add with default
        (record(X_INT), record(X_INT, Y_REQUIRED), False, True),  # add without default
        (record(X_INT, Y_REQUIRED), record(X_INT), True, False),  # remove without default
        (record(X_INT), record(X_LONG), True, False),  # int -> long promotion
        (record(ENUM_AB), record(ENUM_ABC), True, False),  # new symbol
        (
            record({"name": "f", "type": "float"}),
            record({"name": "f", "type": "double"}),
            True,
            False,
        ),
        (
            record({"name": "s", "type": "string"}),
            record({"name": "s", "type": "bytes"}),
            True,
            True,
        ),  # string <-> bytes
        (
            record({"name": "u", "type": "string"}),
            record({"name": "u", "type": ["null", "string"], "default": None}),
            True,
            False,
        ),
        (
            record({"name": "a", "type": {"type": "array", "items": "int"}}),
            record({"name": "a", "type": {"type": "array", "items": "long"}}),
            True,
            False,
        ),
        (
            record({"name": "m", "type": {"type": "map", "values": "int"}}),
            record({"name": "m", "type": {"type": "map", "values": "string"}}),
            False,
            False,
        ),
        (
            record({"name": "f", "type": {"type": "fixed", "name": "F", "size": 4}}),
            record({"name": "f", "type": {"type": "fixed", "name": "F", "size": 8}}),
            False,
            False,
        ),
        (record(X_INT), record({"name": "z", "type": "int", "aliases": ["x"]}), True, False),
        (record(X_INT), record(X_INT, name="Other"), False, False),  # renamed record
        # the rest of the promotion ladder: int -> long -> float -> double
        (record(X_LONG), record({"name": "x", "type": "float"}), True, False),
        (record(X_INT), record({"name": "x", "type": "double"}), True, False),
        (record(X_LONG), record({"name": "x", "type": "double"}), True, False),
        (record({"name": "x", "type": "double"}), record(X_INT), False, True),  # narrowing
        (record(ENUM_ABC), record(ENUM_AB), False, True),  # symbol removed
        (  # a removed symbol is readable again when the reader's enum has a default
            record(ENUM_ABC),
            record(
                {
                    "name": "e",
                    "type": {"type": "enum", "name": "E", "symbols": ["A", "B"], "default": "A"},
                }
            ),
            True,
            True,
        ),
        (  # union branch added (readers of the old union cannot read the new branch)
            record({"name": "u", "type": ["null", "string"], "default": None}),
            record({"name": "u", "type": ["null", "string", "int"], "default": None}),
            True,
            False,
        ),
        (  # union narrowed to one of its branches
            record({"name": "u", "type": ["null", "string"], "default": None}),
            record({"name": "u", "type": "string"}),
            False,
            True,
        ),
        (  # nested record: a field added without default deep inside
            record({"name": "n", "type": {"type": "record", "name": "N", "fields": [X_INT]}}),
            record(
                {
                    "name": "n",
                    "type": {"type": "record", "name": "N", "fields": [X_INT, Y_REQUIRED]},
                }
            ),
            False,
            True,
        ),
        (  # fixed renamed
            record({"name": "f", "type": {"type": "fixed", "name": "F", "size": 4}}),
            record({"name": "f", "type": {"type": "fixed", "name": "G", "size": 4}}),
            False,
            False,
        ),
        (  # a map's values promoted
            record({"name": "m", "type": {"type": "map", "values": "int"}}),
            record({"name": "m", "type": {"type": "map", "values": "long"}}),
            True,
            False,
        ),
        (  # record renamed, the reader keeps the old full name as an alias
            record(X_INT),
            json.dumps(
                {
                    "type": "record",
                    "name": "Other",
                    "namespace": "t",
                    "aliases": ["t.R"],
                    "fields": [X_INT],
                }
            ),
            True,
            False,
        ),
        # namespaces: Java's checker (so Confluent's) compares names without their namespace,
        # so moving a record to another namespace is compatible both ways
        (record(X_INT, namespace="a"), record(X_INT, namespace="b"), True, True),
        (  # the same full name written as a dotted name instead of name + namespace
            record(X_INT, namespace="a"),
            json.dumps({"type": "record", "name": "a.R", "fields": [X_INT]}),
            True,
            True,
        ),
        (  # a nested named type inherits the enclosing namespace
            record(
                {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A"]}},
                namespace="a",
            ),
            record(
                {"name": "e", "type": {"type": "enum", "name": "a.E", "symbols": ["A"]}},
                namespace="a",
            ),
            True,
            True,
        ),
    ],
)
def test_pairs(old: str, new: str, backward: bool, forward: bool) -> None:
    assert (not incompatibilities(new, [(1, old)], Level.BACKWARD)) is backward
    assert (not incompatibilities(new, [(1, old)], Level.FORWARD)) is forward
    assert (not incompatibilities(new, [(1, old)], Level.FULL)) is (backward and forward)
    assert incompatibilities(new, [(1, old)], Level.NONE) == []


def test_transitive_checks_every_version() -> None:
    v1 = record(X_INT, Y_REQUIRED)
    v2 = record(X_INT, Y_DEFAULT)
    v3 = record(X_INT)
    history = [(1, v1), (2, v2)]
    assert incompatibilities(v3, history, Level.FORWARD) == []  # latest only: fine
    reasons = incompatibilities(v3, history, Level.FORWARD_TRANSITIVE)
    assert len(reasons) == 1
    assert "version 1 cannot read the new schema" in reasons[0]
    assert "/fields/1" in reasons[0]


def test_reason_names_field_and_rule() -> None:
    (reason,) = incompatibilities(record(X_INT, Y_REQUIRED), [(3, record(X_INT))], Level.BACKWARD)
    assert "new schema cannot read version 3" in reason
    assert "reader_field_missing_default_value" in reason
    assert "/fields/1" in reason


def test_reason_names_nested_path_and_symbols() -> None:
    nested = {"name": "n", "type": {"type": "record", "name": "N", "fields": [X_INT]}}
    grown = {"name": "n", "type": {"type": "record", "name": "N", "fields": [X_INT, Y_REQUIRED]}}
    (reason,) = incompatibilities(record(grown), [(1, record(nested))], Level.BACKWARD)
    assert "reader_field_missing_default_value at /fields/0/type/fields/1 (y)" in reason
    (reason,) = incompatibilities(record(ENUM_AB), [(1, record(ENUM_ABC))], Level.BACKWARD)
    assert "missing_enum_symbols at /fields/0/type/symbols" in reason
    assert "'C'" in reason
