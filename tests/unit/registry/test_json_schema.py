"""JSON Schema: the canonical form, and reader/writer pairs judged by the compatibility checker.

Every incompatible pair carries a witness where one exists: an instance the writer accepts and the
reader rejects, checked with jsonschema itself, so the table cannot claim a break that is not one.
Compatible pairs are cross-checked the same way on a pool of sample instances.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from jsonschema.validators import Draft7Validator, validator_for

from registry.errors import InvalidSchemaError
from registry.json_compatibility import incompatibilities
from registry.json_schema import canonical

D2020 = "https://json-schema.org/draft/2020-12/schema"
D4 = "http://json-schema.org/draft-04/schema#"
D7 = "http://json-schema.org/draft-07/schema#"
NO_WITNESS = object()  # no instance shows the break (the checker cannot tell, so it reports)


def t(kind: str | list[str], **keywords: Any) -> dict[str, Any]:
    return {"type": kind, **keywords}


def obj(extra: Any = None, required: tuple[str, ...] = (), **props: Any) -> dict[str, Any]:
    """An object schema: its properties, required names and additionalProperties (if given)."""
    schema = {"type": "object", "properties": props}
    schema |= {"required": list(required)} if required else {}
    return schema | ({} if extra is None else {"additionalProperties": extra})


def kind(tag: str, **more: Any) -> dict[str, Any]:
    """An object discriminated by a required constant "kind"."""
    return obj(required=("kind",), kind={"const": tag}, **more)


def ok(reader: Any, writer: Any, name: str) -> Any:
    return pytest.param(reader, writer, id=name)


def bad(reader: Any, writer: Any, rule: str, path: str, witness: Any, name: str) -> Any:
    return pytest.param(reader, writer, rule, path, witness, id=name)


STR, INT, NUM, NULL, OBJ, ARR = (
    t("string"),
    t("integer"),
    t("number"),
    t("null"),
    t("object"),
    t("array"),
)
STRINGS = obj(extra=STR)
NODE = obj(v=INT, next={"$ref": "#/definitions/node"})
LIST = {"definitions": {"node": NODE}, "$ref": "#/definitions/node"}
LIST_NUMBER = {"definitions": {"node": NODE | {"properties": {**NODE["properties"], "v": NUM}}},
               "$ref": "#/definitions/node"}  # fmt: skip

COMPATIBLE = [
    ok(NUM, INT, "number-reads-integer"),
    ok(t(["string", "null"]), STR, "type-array-extended"),
    ok(True, STR, "true-reads-all"),
    ok(STR, False, "false-writes-nothing"),
    ok(STR, t("string", title="t", description="d"), "annotations-ignored"),
    ok(obj(a=STR), obj(required=("a",), a=STR), "required-removed"),
    ok(OBJ, obj(a=STR), "property-removed-from-open"),
    ok(obj(a=STR), obj(extra=False), "optional-added-to-closed"),
    ok(OBJ, obj(extra=False, a=STR), "closed-to-open"),
    ok(obj(a={}), OBJ, "empty-schema-added-to-open"),
    ok(STRINGS, obj(extra=STR, a=STR), "removed-covered-by-partially-open"),
    ok(
        obj(extra=STR, b=t("string", maxLength=9)),
        obj(extra=STR, b=t("string", maxLength=3)),
        "nested",
    ),
    ok({"enum": ["a", "b", "c"]}, {"enum": ["a", "b"]}, "enum-extended"),
    ok({"enum": ["a", "b"]}, {"const": "a"}, "const-in-enum"),
    ok(t("string", maxLength=2), {"enum": ["ab", "c"]}, "enum-values-fit-constraints"),
    ok(t("boolean"), {"const": True}, "const-typed"),
    ok(t("string", minLength=1, maxLength=9), t("string", minLength=2, maxLength=5), "lengths"),
    ok(t("string", pattern="^a"), t("string", pattern="^a", maxLength=3), "pattern-same"),
    ok(t("number", minimum=0, maximum=9), t("number", exclusiveMinimum=0, maximum=5), "bounds"),
    ok(
        {"$schema": D4, "maximum": 9}, {"$schema": D4, "maximum": 9, "exclusiveMaximum": True}, "d4"
    ),
    ok(t("number", multipleOf=2), t("number", multipleOf=6), "multiple-of-reduced"),
    ok(t("number", multipleOf=0.5), INT, "integers-are-multiples-of-a-half"),
    ok(
        t("array", items=NUM, maxItems=9),
        t("array", items=INT, maxItems=3, uniqueItems=True),
        "array",
    ),
    ok(
        t("array", items=[STR, INT]),
        t("array", items=[STR], additionalItems=False),
        "item-added-closed",
    ),
    ok(
        {"$schema": D2020, "prefixItems": [STR]},
        {"$schema": D2020, "prefixItems": [STR, NULL]},
        "2020",
    ),
    ok({"anyOf": [STR, INT]}, STR, "sum-type-extended"),
    ok({"oneOf": [STR, INT, NULL]}, {"oneOf": [STR, INT]}, "disjoint-one-of-extended"),
    ok({"oneOf": [kind("a"), kind("b"), kind("c")]}, {"oneOf": [kind("a"), kind("b")]}, "tagged"),
    ok({"anyOf": [STR, INT]}, {"oneOf": [STR, INT]}, "one-of-read-as-any-of"),
    ok({"allOf": [OBJ]}, {"allOf": [OBJ, {"required": ["a"]}]}, "product-type-narrowed"),
    ok(
        {"allOf": [{"maxLength": 5}, {"maxLength": 3}]},
        {"allOf": [{"maxLength": 5}, {"maxLength": 3}], "title": "t"},
        "same-conjuncts",
    ),
    ok(
        t("string", maxLength=3),
        {"allOf": [{"maxLength": 5}, {"maxLength": 3}], "type": "string"},
        "tighter-conjunct",
    ),
    ok(t("object", required=["a"]), {"allOf": [OBJ, {"required": ["a", "b"]}]}, "writer-all-of"),
    ok({"not": NULL}, STR, "not-disjoint"),
    ok({"not": STR}, {"not": t(["string", "null"])}, "not-narrowed"),
    ok(LIST_NUMBER, LIST, "recursive-ref-widened"),
    ok(
        obj(a={"$ref": "#/$defs/s"}) | {"$defs": {"s": STR}},
        obj(a={"$ref": "#/definitions/t"}) | {"definitions": {"t": STR}},
        "refs-resolved",
    ),
    ok(t("string", format="email"), t("string", format="email", maxLength=5), "unmodelled-same"),
]

INCOMPATIBLE = [
    bad(INT, NUM, "TYPE_NARROWED", "#/type", 1.5, "integer-reads-number"),
    bad(STR, INT, "TYPE_CHANGED", "#/type", 1, "type-changed"),
    bad(STR, t(["string", "null"]), "TYPE_NARROWED", "#/type", None, "type-array-narrowed"),
    bad(False, STR, "TYPE_CHANGED", "#", "x", "false-reads-nothing"),
    bad(STR, True, "TYPE_NARROWED", "#/type", 1, "true-writes-all"),
    bad(
        obj(required=("a",), a=STR),
        obj(a=STR),
        "REQUIRED_ATTRIBUTE_ADDED",
        "#/required/a",
        {},
        "req",
    ),
    bad(
        t("object", required=["b"]),
        obj(extra=False, a=STR),
        "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
        "#/required/b",
        {},
        "required-closed",
    ),
    bad(
        obj(a=STR), OBJ, "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", "#/properties/a", {"a": 1}, "open"
    ),
    bad(
        obj(extra=False),
        obj(a=STR),
        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        "#/properties/a",
        {"a": "x"},
        "closed",
    ),
    bad(
        obj(extra=STR, a=INT),
        STRINGS,
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "#/properties/a",
        {"a": "x"},
        "added-not-covered",
    ),
    bad(
        STRINGS,
        obj(extra=STR, a=INT),
        "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "#/properties/a",
        {"a": 1},
        "removed-not-covered",
    ),
    bad(
        obj(extra=False),
        OBJ,
        "ADDITIONAL_PROPERTIES_REMOVED",
        "#/additionalProperties",
        {"z": 1},
        "additional-removed",
    ),
    bad(
        STRINGS,
        OBJ,
        "ADDITIONAL_PROPERTIES_NARROWED",
        "#/additionalProperties",
        {"z": 1},
        "additional-narrow",
    ),
    bad(
        obj(a=obj(b=INT)),
        obj(a=obj(b=NUM)),
        "TYPE_NARROWED",
        "#/properties/a/properties/b/type",
        {"a": {"b": 0.5}},
        "nested",
    ),
    bad(
        {"enum": ["a", "b"]}, {"enum": ["a", "b", "c"]}, "ENUM_ARRAY_NARROWED", "#/enum", "c", "en"
    ),
    bad({"enum": ["a", "d"]}, {"enum": ["a", "b"]}, "ENUM_ARRAY_CHANGED", "#/enum", "b", "enum-ch"),
    bad({"const": 1}, {"const": True}, "ENUM_ARRAY_CHANGED", "#/const", True, "true-is-not-1"),
    bad(t("string", enum=["a"]), STR, "ENUM_ARRAY_NARROWED", "#/enum", "b", "enum-added"),
    bad(t("string", maxLength=3), STR, "MAX_LENGTH_ADDED", "#/maxLength", "abcd", "max-len-added"),
    bad(
        t("string", maxLength=3),
        t("string", maxLength=5),
        "MAX_LENGTH_DECREASED",
        "#/maxLength",
        "abcd",
        "max-length-decreased",
    ),
    bad(t("string", minLength=1), STR, "MIN_LENGTH_ADDED", "#/minLength", "", "min-length-added"),
    bad(
        t("string", minLength=3),
        t("string", minLength=2),
        "MIN_LENGTH_INCREASED",
        "#/minLength",
        "ab",
        "min-length-increased",
    ),
    bad(t("string", pattern="^a"), STR, "PATTERN_ADDED", "#/pattern", "b", "pattern-added"),
    bad(
        t("string", pattern="^a"),
        t("string", pattern="^b"),
        "PATTERN_CHANGED",
        "#/pattern",
        "b",
        "pattern-changed",
    ),
    bad(t("number", maximum=5), NUM, "MAXIMUM_ADDED", "#/maximum", 6, "maximum-added"),
    bad(
        t("number", maximum=5),
        t("number", maximum=9),
        "MAXIMUM_DECREASED",
        "#/maximum",
        6,
        "maximum-decreased",
    ),
    bad(
        t("number", minimum=5),
        t("number", minimum=1),
        "MINIMUM_INCREASED",
        "#/minimum",
        2,
        "minimum-increased",
    ),
    bad(
        t("number", exclusiveMinimum=0),
        t("number", minimum=0),
        "EXCLUSIVE_MINIMUM_INCREASED",
        "#/exclusiveMinimum",
        0,
        "exclusive-minimum",
    ),
    bad(
        t("number", exclusiveMaximum=3),
        NUM,
        "EXCLUSIVE_MAXIMUM_ADDED",
        "#/exclusiveMaximum",
        3,
        "exclusive-maximum-added",
    ),
    bad(
        {"$schema": D4, "maximum": 9, "exclusiveMaximum": True},
        {"$schema": D4, "maximum": 9},
        "EXCLUSIVE_MAXIMUM_DECREASED",
        "#/exclusiveMaximum",
        9,
        "draft4-exclusive",
    ),
    bad(t("number", multipleOf=2), NUM, "MULTIPLE_OF_ADDED", "#/multipleOf", 3, "multiple-added"),
    bad(
        t("number", multipleOf=4),
        t("number", multipleOf=2),
        "MULTIPLE_OF_EXPANDED",
        "#/multipleOf",
        2,
        "multiple-of-expanded",
    ),
    bad(
        t("number", multipleOf=3),
        t("number", multipleOf=2),
        "MULTIPLE_OF_CHANGED",
        "#/multipleOf",
        2,
        "multiple-of-changed",
    ),
    bad(
        t("array", items=INT),
        t("array", items=NUM),
        "TYPE_NARROWED",
        "#/items/type",
        [0.5],
        "items",
    ),
    bad(t("array", maxItems=2), ARR, "MAX_ITEMS_ADDED", "#/maxItems", [1, 2, 3], "max-items-added"),
    bad(
        t("array", minItems=2),
        t("array", minItems=1),
        "MIN_ITEMS_INCREASED",
        "#/minItems",
        [1],
        "min-items-increased",
    ),
    bad(
        t("object", maxProperties=1),
        OBJ,
        "MAX_PROPERTIES_ADDED",
        "#/maxProperties",
        {"a": 1, "b": 2},
        "max-properties-added",
    ),
    bad(
        t("object", minProperties=2),
        t("object", minProperties=1),
        "MIN_PROPERTIES_INCREASED",
        "#/minProperties",
        {"a": 1},
        "min-properties-increased",
    ),
    bad(
        t("array", items=[STR, INT]),
        t("array", items=[STR], additionalItems=STR),
        "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "#/items/1",
        ["a", "b"],
        "ia",
    ),
    bad(
        t("array", items=[STR], additionalItems=INT),
        t("array", items=[STR, STR]),
        "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "#/items/1",
        ["a", "b"],
        "ir",
    ),
    bad(t("array", uniqueItems=True), ARR, "UNIQUE_ITEMS_ADDED", "#/uniqueItems", [1, 1], "unique"),
    bad(
        t("array", items=[STR], additionalItems=False),
        t("array", items=[STR, INT]),
        "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        "#/items/1",
        ["a", 1],
        "item-removed-closed",
    ),
    bad(
        t("array", items=[STR, INT]),
        t("array", items=[STR]),
        "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
        "#/items/1",
        ["a", "b"],
        "item-added-to-open",
    ),
    bad(
        t("array", items=[STR], additionalItems=STR),
        t("array", items=[STR]),
        "ADDITIONAL_ITEMS_NARROWED",
        "#/additionalItems",
        ["a", 1],
        "additional-items-narrowed",
    ),
    bad(
        {"$schema": D2020, "prefixItems": [STR], "items": False},
        {"$schema": D2020, "prefixItems": [STR]},
        "ADDITIONAL_ITEMS_REMOVED",
        "#/items",
        ["a", 1],
        "draft2020-items-removed",
    ),
    bad(
        {"oneOf": [STR]},
        {"oneOf": [STR, INT]},
        "TYPE_CHANGED",
        "#/oneOf/0/type",
        1,
        "one-of-removed",
    ),
    bad(
        {"anyOf": [STR, NULL]},
        {"anyOf": [STR, INT, NULL]},
        "SUM_TYPE_NARROWED",
        "#/anyOf",
        1,
        "sum",
    ),
    bad(
        {"anyOf": [STR, t("boolean")]},
        {"anyOf": [STR, INT]},
        "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
        "#/anyOf",
        1,
        "subschemas-changed",
    ),
    bad({"anyOf": [STR, NULL]}, INT, "TYPE_CHANGED", "#/anyOf", 1, "no-alternative-fits"),
    bad({"oneOf": [NUM, INT]}, INT, "TYPE_CHANGED", "#/oneOf", 1, "one-of-ambiguous"),
    bad(
        {"oneOf": [kind("a", x=STR), kind("b")]},
        {"oneOf": [kind("a", x=INT), kind("b")]},
        "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
        "#/oneOf",
        {"kind": "a", "x": 1},
        "tagged-changed",
    ),
    bad(
        obj(kind={"const": "a"}),
        {"oneOf": [kind("a"), kind("b")]},
        "ENUM_ARRAY_CHANGED",
        "#/oneOf/1/properties/kind/const",
        {"kind": "b"},
        "tag-removed",
    ),
    bad(
        {"allOf": [OBJ, {"required": ["a"]}]},
        {"allOf": [OBJ]},
        "PRODUCT_TYPE_EXTENDED",
        "#/allOf/1",
        {},
        "product-type-extended",
    ),
    bad({"not": STR}, t("string", maxLength=3), "NOT_TYPE_EXTENDED", "#/not", "a", "not-extended"),
    bad(LIST, LIST_NUMBER, "TYPE_NARROWED", "#/properties/v/type", {"v": 0.5}, "recursive"),
    bad(
        obj(a={"$ref": "#/definitions/x"}) | {"definitions": {"x": {"$ref": "#/definitions/x"}}},
        obj(a={}),
        "UNDECIDED",
        "#/properties/a",
        NO_WITNESS,
        "ref-to-itself",
    ),
    bad(
        {"$schema": D7, "const": 1},
        {"$schema": D4, "const": 1},
        "ENUM_ARRAY_NARROWED",
        "#/const",
        2,
        "draft4-has-no-const",
    ),
    bad(t("string", format="email"), STR, "UNDECIDED", "#/format", NO_WITNESS, "format-added"),
    bad(
        t("object", patternProperties={"^x": STR}),
        OBJ,
        "UNDECIDED",
        "#/patternProperties",
        {"xa": 1},
        "pattern-properties-added",
    ),
    bad({"if": STR, "then": {"maxLength": 1}}, STR, "UNDECIDED", "#/if", "ab", "if-then-added"),
]


@pytest.mark.parametrize(("reader", "writer"), COMPATIBLE)
def test_compatible(reader: Any, writer: Any) -> None:
    assert incompatibilities(reader, writer) == []


@pytest.mark.parametrize(("reader", "writer"), COMPATIBLE)
def test_compatible_pairs_agree_with_jsonschema(reader: Any, writer: Any) -> None:
    for sample in SAMPLES:
        if valid(writer, sample):
            assert valid(reader, sample), sample


@pytest.mark.parametrize(("reader", "writer", "rule", "path", "witness"), INCOMPATIBLE)
def test_incompatible(reader: Any, writer: Any, rule: str, path: str, witness: Any) -> None:
    if witness is not NO_WITNESS:
        assert valid(writer, witness) and not valid(reader, witness), "not a witness"
    reasons = incompatibilities(reader, writer)
    assert any(r.startswith(f"{rule} at {path}: ") for r in reasons), reasons


def test_identical_documents_are_compatible() -> None:
    for schema in [LIST, obj(extra=False, a=STR), {"oneOf": [kind("a"), kind("b")]}, {"if": STR}]:
        assert incompatibilities(schema, json.loads(json.dumps(schema))) == []


def test_reasons_name_rule_path_and_detail() -> None:
    reasons = incompatibilities(obj(required=("a", "b"), a=INT), obj(a=STR))
    assert reasons == [
        "REQUIRED_ATTRIBUTE_ADDED at #/required/a: the reader requires 'a', the writer does not"
        " (a default does not help)",
        "REQUIRED_ATTRIBUTE_ADDED at #/required/b: the reader requires 'b', the writer does not"
        " (a default does not help)",
        "TYPE_CHANGED at #/properties/a/type: the writer allows ['string'], the reader ['integer']",
    ]


def test_not_a_schema_document_is_refused() -> None:
    with pytest.raises(InvalidSchemaError, match="not a JSON Schema document"):
        incompatibilities([], {})
    with pytest.raises(InvalidSchemaError, match="at #/type: 'strin' is not valid"):
        incompatibilities({}, {"type": "strin"})
    with pytest.raises(InvalidSchemaError, match=re.escape("'http://x/s.json' is not local")):
        incompatibilities({"$ref": "http://x/s.json"}, {})


def test_canonical_ignores_key_order_and_whitespace() -> None:
    a = canonical('{"type": "object",\n "properties": {"b": {"type": "string"}, "a": {}}}')
    b = canonical('{"properties":{"a":{},"b":{"type":"string"}},"type":"object"}')
    assert a == b == '{"properties":{"a":{},"b":{"type":"string"}},"type":"object"}'
    assert canonical(" true ") == "true"
    assert canonical('{"enum": [2, 1]}') != canonical('{"enum": [1, 2]}')  # arrays keep order


@pytest.mark.parametrize(
    "text",
    [
        '{"$ref": "#/definitions/a", "definitions": {"a": {"type": "string"}}}',
        '{"$ref": "#a", "definitions": {"x": {"$anchor": "a"}}}',
        f'{{"$schema": "{D2020}", "prefixItems": [{{"type": "string"}}]}}',
        '{"enum": [{"$ref": "http://example.com/data, not a reference"}]}',
    ],
)
def test_canonical_accepts(text: str) -> None:
    assert json.loads(canonical(text)) == json.loads(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"type": ', "not JSON: "),
        ('{"maximum": NaN}', "not JSON: NaN is not a JSON number"),
        ("[1, 2]", "a schema is an object or a boolean, not an array"),
        ('"string"', "a schema is an object or a boolean, not a string"),
        (
            '{"properties": {"a": {"type": "strin"}}}',
            "at #/properties/a/type: 'strin' is not valid under any of the given schemas",
        ),
        ('{"minLength": -1}', "at #/minLength: -1 is less than the minimum of 0"),
        ('{"required": "a"}', "at #/required: 'a' is not of type 'array'"),
        (f'{{"$schema": "{D2020}", "items": [{{}}]}}', "at #/items: "),
        ('{"$schema": "http://example.com/nope"}', "unknown $schema 'http://example.com/nope'"),
        ('{"$ref": "http://example.com/s.json"}', "at #: $ref 'http://example.com/s.json' is not"),
        ('{"properties": {"a": {"$ref": "o.json#/x"}}}', "at #/properties/a: $ref 'o.json#/x' is"),
        ('{"properties": {"enum": {"$ref": "s.json"}}}', "at #/properties/enum: $ref 's.json' is"),
        ('{"$ref": "#/definitions/gone"}', "$ref '#/definitions/gone' does not resolve"),
        ('{"$ref": "#nowhere"}', "$ref '#nowhere' names no anchor"),
        ('{"$schema": "http://json-schema.org/draft-03/schema#"}', "draft 3 "),
    ],
)
def test_canonical_refuses(text: str, message: str) -> None:
    with pytest.raises(InvalidSchemaError) as raised:
        canonical(text)
    assert str(raised.value).startswith("invalid JSON Schema: ")
    assert message in str(raised.value)


SAMPLES: list[Any] = [None, True, False, 0, 1, -3, 1.5, 6, 12, "", "a", "ab", "abcdefghij", "b",
    [], ["a"], ["a", 1], [1, 1], [1, 2, 3], {}, {"a": "x"}, {"a": 1}, {"b": "y"}, {"z": 1},
    {"kind": "a"}, {"kind": "c"}, {"v": 1, "next": {"v": 2.5}}]  # fmt: skip


def valid(schema: Any, instance: Any) -> bool:
    return bool(validator_for(schema, default=Draft7Validator)(schema).is_valid(instance))
