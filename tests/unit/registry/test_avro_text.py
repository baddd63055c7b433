"""Schema strings as Confluent returns them: Avro Java's ``Schema.toString()`` of the parsed
schema. Every expected string below was printed by Apache Avro 1.12.1 (Java) for the input
beside it, with the referenced schemas parsed first, as Confluent's ``canonicalString()`` does."""

from __future__ import annotations

import json

import pytest

from registry.avro_text import confluent_string, java_double
from registry.canonical import canonical_json

PRETTY = json.dumps(
    {"type": "record", "name": "X", "namespace": "a.b", "fields": [
        {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B"],
                               "default": "A"}},
        {"name": "e2", "type": "a.b.E"},
        {"name": "f", "type": {"type": "fixed", "name": "F", "namespace": "other", "size": 4}},
        {"name": "f2", "type": "other.F"}]},
    indent=4,
)  # fmt: skip
WHITESPACE = (
    ' {  "type" : "record" ,\n "name" : "L" , "fields" : [ { "name" : "next" , "type" : '
    '[ "null" , "L" ] , "default" : null } ,\t{ "name" : "x" , "type" : { "type" : "long" , '
    '"logicalType" : "timestamp-millis" } , "order" : "DESCENDING" , "aliases" : [ "y" ] } ] , '
    '"aliases" : [ "Old" , "c.d.Older" ] } '
)
NESTED = json.dumps(
    {"type": "record", "name": "X", "namespace": "n", "fields": [
        {"name": "in", "type": {"type": "record", "name": "Y", "namespace": "", "fields": [
            {"name": "q", "type": {"type": "string"}}]}},
        {"name": "d", "type": "double", "default": 12345678.0}]}
)  # fmt: skip
ESCAPES = json.dumps({"type": "record", "name": "S", "doc": "tab\there \u0001 nl\n é ☃",
                      "fields": []})  # fmt: skip

CASES = [
    (
        '{"fields":[{"default":3,"doc":"d","type":"int","name":"a"}],"doc":"rec",'
        '"namespace":"ns","type":"record","name":"X"}',
        '{"type":"record","name":"X","namespace":"ns","doc":"rec","fields":[{"name":"a",'
        '"type":"int","doc":"d","default":3}]}',
    ),
    (
        PRETTY,
        '{"type":"record","name":"X","namespace":"a.b","fields":[{"name":"e","type":{"type":'
        '"enum","name":"E","symbols":["A","B"],"default":"A"}},{"name":"e2","type":"E"},'
        '{"name":"f","type":{"type":"fixed","name":"F","namespace":"other","size":4}},'
        '{"name":"f2","type":"other.F"}]}',
    ),
    (
        WHITESPACE,
        '{"type":"record","name":"L","fields":[{"name":"next","type":["null","L"],'
        '"default":null},{"name":"x","type":{"type":"long","logicalType":"timestamp-millis"},'
        '"order":"descending","aliases":["y"]}],"aliases":["Old","c.d.Older"]}',
    ),
    (
        NESTED,
        '{"type":"record","name":"X","namespace":"n","fields":[{"name":"in","type":{"type":'
        '"record","name":"Y","namespace":"","fields":[{"name":"q","type":"string"}]}},'
        '{"name":"d","type":"double","default":1.2345678E7}]}',
    ),
    (ESCAPES, '{"type":"record","name":"S","doc":"tab\\there \\u0001 nl\\n é ☃","fields":[]}'),
    ('{"type": "string"}', '"string"'),
]


@pytest.mark.parametrize(("given", "expected"), CASES)
def test_the_string_is_avro_javas_whatever_the_spelling(given: str, expected: str) -> None:
    assert confluent_string(given) == expected
    # what the registry stores (its normalized identity form) renders the same
    assert confluent_string(canonical_json(given)) == expected


def test_referenced_types_are_written_by_name_and_their_nested_types_in_full() -> None:
    ref = (
        '{"type":"record","name":"Ref","namespace":"lib","fields":[{"name":"e","type":'
        '{"type":"enum","name":"Inner","symbols":["A"]}}]}'
    )
    main = json.dumps(
        {"type": "record", "name": "Main", "namespace": "app", "fields": [
            {"name": "r", "type": "lib.Ref"}, {"name": "i", "type": {"type": "lib.Inner"}},
            {"name": "i2", "type": "lib.Inner"}]}
    )  # fmt: skip
    assert confluent_string(canonical_json(main), [canonical_json(ref)]) == (
        '{"type":"record","name":"Main","namespace":"app","fields":[{"name":"r","type":'
        '"lib.Ref"},{"name":"i","type":{"type":"enum","name":"Inner","namespace":"lib",'
        '"symbols":["A"]}},{"name":"i2","type":"lib.Inner"}]}'
    )


@pytest.mark.parametrize(
    ("value", "java"),
    [(1.0, "1.0"), (0.001, "0.001"), (0.0001, "1.0E-4"), (9999999.0, "9999999.0"),
     (1e7, "1.0E7"), (-2.5e-5, "-2.5E-5"), (123.456, "123.456"), (-0.0, "-0.0")],
)  # fmt: skip
def test_doubles_are_written_as_java_writes_them(value: float, java: str) -> None:
    assert java_double(value) == java
