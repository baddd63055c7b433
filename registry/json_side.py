"""One side of a JSON Schema comparison: a document with its draft's keywords and validators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jsonschema.protocols import Validator
from referencing.exceptions import Unresolvable

from registry.json_keywords import ANNOTATIONS, MAX_DEPTH, SIBLINGS, Obj, Schema
from registry.json_schema import resolve, validator_class


@dataclass(frozen=True)
class Side:
    """One schema document: its root, the keywords its draft enforces, and its validators."""

    root: Schema
    keywords: frozenset[str]
    lenient: Validator  # formats not asserted
    strict: Validator

    @staticmethod
    def of(root: Schema) -> Side:
        cls = validator_class(root)
        words = frozenset(cls.VALIDATORS) | SIBLINGS
        return Side(root, words, cls(root), cls(root, format_checker=cls.FORMAT_CHECKER))

    def resolve(self, node: Schema) -> Schema | None:
        """``node`` with its ``$ref`` followed (None if it does not resolve)."""
        for _ in range(MAX_DEPTH):
            if not isinstance(node, dict) or not isinstance(node.get("$ref"), str):
                return node
            try:
                target = resolve(self.root, node["$ref"])
            except LookupError:
                return None
            rest = {k: v for k, v in node.items() if k != "$ref"}
            if "unevaluatedProperties" in self.keywords and rest.keys() - ANNOTATIONS:
                return {"allOf": [target, rest]}  # since 2019-09 the siblings of $ref apply too
            node = target
        return None

    def effective(self, node: Schema) -> Schema | None:
        """The resolved node, keeping only the keywords its draft enforces."""
        node = self.resolve(node)
        if not isinstance(node, dict):
            return node
        return {k: v for k, v in node.items() if k in self.keywords} or True

    def valid(self, schema: Schema, value: Any, strict: bool) -> bool:
        try:
            validator = self.strict if strict else self.lenient
            return bool(validator.evolve(schema=schema).is_valid(value))
        except (Unresolvable, RecursionError):
            return not strict


@dataclass(frozen=True)
class Alts:
    """The writer's alternatives a branch came from (``others``: its oneOf siblings)."""

    count: int = 0
    others: tuple[Schema, ...] = ()


NO_ALTS = Alts()


def shape(side: Side, s: Obj) -> tuple[list[Any], Schema, tuple[str, str]]:
    """(tuple item schemas, schema of the other items, their keywords) in the side's draft."""
    if "prefixItems" in side.keywords:
        return list(s.get("prefixItems", [])), s.get("items", True), ("prefixItems", "items")
    items = s.get("items", True)
    if isinstance(items, list):
        return items, s.get("additionalItems", True), ("items", "additionalItems")
    return [], items, ("items", "items")
