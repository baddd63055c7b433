"""The structural diff behind `tide schema diff`, and its two compatibility verdicts."""

from __future__ import annotations

import json
from typing import Any

from tide.ops.schema_diff import Change, diff, verdicts


def rec(*fields: dict[str, Any], name: str = "R", **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": list(fields), **extra}


def kinds(changes: list[Change]) -> set[tuple[str, str]]:
    return {(c.path, c.kind) for c in changes}


def test_fields_added_removed_and_retyped() -> None:
    old = rec({"name": "a", "type": "int"}, {"name": "gone", "type": "string"})
    new = rec({"name": "a", "type": "long"}, {"name": "b", "type": "string", "default": ""},
              {"name": "c", "type": "int"})  # fmt: skip
    assert kinds(diff(old, new)) == {
        ("a", "type changed"), ("gone", "field removed (without default)"),
        ("b", "field added (with default)"), ("c", "field added (without default)"),
    }  # fmt: skip
    retyped = next(c for c in diff(old, new) if c.path == "a")
    assert (retyped.old, retyped.new) == ("int", "long")


def test_nested_records_enums_unions_arrays_and_maps() -> None:
    inner_old = rec({"name": "x", "type": "int"}, name="Inner")
    inner_new = rec({"name": "x", "type": "int"}, {"name": "y", "type": "int", "default": 0},
                    name="Inner")  # fmt: skip
    enum_old = {"type": "enum", "name": "E", "symbols": ["A", "B"]}
    enum_new = {"type": "enum", "name": "E", "symbols": ["A", "C"]}
    old = rec({"name": "u", "type": ["null", inner_old]}, {"name": "e", "type": enum_old},
              {"name": "l", "type": {"type": "array", "items": "int"}},
              {"name": "m", "type": {"type": "map", "values": "string"}, "doc": "d"})  # fmt: skip
    new = rec({"name": "u", "type": ["null", inner_new, "string"]}, {"name": "e", "type": enum_new},
              {"name": "l", "type": {"type": "array", "items": "long"}},
              {"name": "m", "type": {"type": "map", "values": "bytes"}})  # fmt: skip
    assert kinds(diff(old, new)) == {
        ("u", "union branch added"), ("u.Inner.y", "field added (with default)"),
        ("e", "enum symbol added"), ("e", "enum symbol removed"),
        ("l[]", "type changed"), ("m{}", "type changed"), ("m", "doc removed"),
    }  # fmt: skip


def test_renames_defaults_and_identity() -> None:
    old = rec({"name": "a", "type": "int", "default": 1})
    new = rec({"name": "b", "type": "int", "default": 2, "aliases": ["a"]}, name="S")
    assert kinds(diff(old, new)) == {
        ("(root)", "renamed"), ("b", "field renamed (alias)"), ("b", "default changed"),
    }  # fmt: skip
    assert diff(old, old) == []


def test_verdicts_in_both_directions() -> None:
    old = json.dumps(rec({"name": "a", "type": "int"}))
    added = json.dumps(rec({"name": "a", "type": "int"}, {"name": "b", "type": "int"}))
    backward, forward = verdicts(old, added)
    assert backward.compatible is False and any("b" in m for m in backward.messages)
    assert forward.compatible is True
    promoted = json.dumps(rec({"name": "a", "type": "long"}))
    assert [v.compatible for v in verdicts(old, promoted)] == [True, False]
    referencing = json.dumps(rec({"name": "a", "type": "acme.Missing"}))
    assert verdicts(old, referencing)[0].compatible is None


def test_json_schema_diff_is_by_keyword() -> None:
    old = {"type": "object", "properties": {"a": {"type": "string"}}}
    new = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    assert kinds(diff(old, new, "JSON")) == {
        ("#/properties/a/type", "changed"), ("#/required", "added"),
    }  # fmt: skip


def test_union_fields_removed_and_retyped() -> None:
    old = rec({"name": "n", "type": ["null", "string"], "default": None},
              {"name": "k", "type": ["null", "int"]})  # fmt: skip
    new = rec({"name": "k", "type": "int"})
    assert kinds(diff(old, new)) == {
        ("n", "field removed (with default)"), ("k", "type changed"),
    }  # fmt: skip
