"""Validate JSON Schema text, compute its canonical form, and resolve its local references."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator
from jsonschema.validators import Draft3Validator, Draft4Validator, Draft7Validator, validator_for

from registry.errors import InvalidSchemaError

# Keywords whose values are instances, not schemas: a "$ref" inside them is data.
DATA_KEYWORDS = frozenset({"const", "default", "enum", "examples"})
# Keywords whose values map names to schemas: every name is a schema position.
NAME_MAPS = frozenset(
    {"$defs", "definitions", "dependencies", "dependentSchemas", "patternProperties", "properties"}
)

# How a JSON value that is not a schema is named in an error.
_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number"}


def canonical(text: str) -> str:
    """Validate ``text`` as a JSON Schema and return its canonical form (sorted keys, no spaces).

    The draft is the one ``$schema`` names, draft 7 when it names none (as Confluent's registry).
    Only local references (``#``, ``#/json/pointer``, ``#anchor``) that resolve are allowed;
    references to other schemas are refused.
    """
    schema = _load(text)
    check_schema(schema)
    return json.dumps(schema, sort_keys=True, separators=(",", ":"))


def check_schema(schema: Any) -> None:
    """Raise ``InvalidSchemaError`` unless the parsed ``schema`` is a valid JSON Schema.

    Valid: it passes its draft's meta-schema, and every ``$ref`` is local and resolves.
    """
    try:
        validator_class(schema).check_schema(schema)
    except SchemaError as e:
        raise InvalidSchemaError(f"invalid JSON Schema: at {pointer(e.path)}: {e.message}") from e
    for where, node in walk(schema):
        ref = node.get("$ref")
        if not isinstance(ref, str):
            continue
        if not ref.startswith("#"):
            raise InvalidSchemaError(
                f"invalid JSON Schema: at {where}: $ref {ref!r} is not local "
                "(only references within the schema, starting with '#', are supported)"
            )
        try:
            resolve(schema, ref)
        except LookupError as e:
            raise InvalidSchemaError(f"invalid JSON Schema: at {where}: {e}") from e


def validator_class(schema: object) -> type[Validator]:
    """The validator class of the draft ``$schema`` names; draft 7 when it names none.

    Drafts 4, 6, 7, 2019-09 and 2020-12 are supported (draft 3 is not: it spells too much
    differently).
    """
    if not isinstance(schema, dict) or "$schema" not in schema:
        return Draft7Validator
    name = schema["$schema"]
    if not isinstance(name, str):
        raise InvalidSchemaError(f"invalid JSON Schema: $schema must be a string, not {name!r}")
    cls: type[Validator] = validator_for(schema, default=Draft7Validator)
    # An unknown $schema falls back to the default, so two defaults disagree only then.
    if cls is not validator_for(schema, default=Draft4Validator):
        raise InvalidSchemaError(f"invalid JSON Schema: unknown $schema {name!r}")
    if cls is Draft3Validator:
        raise InvalidSchemaError(f"invalid JSON Schema: draft 3 ({name!r}) is not supported")
    return cls


def resolve(root: Any, ref: str) -> Any:
    """The sub-schema a local ``$ref`` (``#``, ``#/json/pointer`` or ``#anchor``) names in ``root``.

    Raises ``LookupError`` when ``ref`` is not local or names nothing.
    """
    if not ref.startswith("#"):
        raise LookupError(f"$ref {ref!r} is not local")
    fragment = unquote(ref[1:])
    if fragment and not fragment.startswith("/"):
        for _, node in walk(root):
            if node.get("$anchor") == fragment or node.get("$id") == f"#{fragment}":
                return node
        raise LookupError(f"$ref {ref!r} names no anchor in the schema")
    node = root
    for token in fragment.split("/")[1:]:
        key = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise LookupError(f"$ref {ref!r} does not resolve within the schema")
    return node


def walk(node: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object in schema position under ``node``, with its JSON pointer (data skipped)."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from walk(item, f"{path}/{i}")
        return
    if not isinstance(node, dict):
        return
    yield path, node
    for key, value in node.items():
        at = f"{path}/{escape(key)}"
        if key in DATA_KEYWORDS:
            continue
        if key in NAME_MAPS and isinstance(value, dict):
            for name, sub in value.items():
                yield from walk(sub, f"{at}/{escape(name)}")
        else:
            yield from walk(value, at)


def pointer(tokens: Any) -> str:
    """A JSON pointer fragment (``#/a/b``) from path tokens."""
    return "#" + "".join(f"/{escape(str(t))}" for t in tokens)


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _load(text: str) -> Any:
    def no_constant(name: str) -> None:
        raise ValueError(f"{name} is not a JSON number")

    try:
        schema = json.loads(text, parse_constant=no_constant)
    except (TypeError, ValueError, RecursionError) as e:
        raise InvalidSchemaError(f"invalid JSON Schema: not JSON: {e}") from e
    if not isinstance(schema, dict | bool):
        kind = _KINDS.get(type(schema), "null")
        raise InvalidSchemaError(
            f"invalid JSON Schema: a schema is an object or a boolean, not {kind}"
        )
    return schema
