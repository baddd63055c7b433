"""The JSON Schema keyword vocabulary and the keyword-level comparisons of reader and writer.

Helpers for ``registry.json_compatibility``: pure functions of schema nodes (no documents, no
references followed). Each comparison returns reasons, ``"<RULE> at <json pointer>: <detail>"``.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from registry.json_schema import escape

Schema = Any  # a parsed JSON Schema node: a dict or a bool
Obj = dict[str, Any]
UNDECIDED = "UNDECIDED"
TYPES = frozenset({"array", "boolean", "null", "number", "object", "string"})  # integer < number
ANNOTATIONS = frozenset({"$anchor", "$comment", "$defs", "$id", "$schema", "default",
    "definitions", "deprecated", "description", "examples", "readOnly", "title",
    "writeOnly"})  # fmt: skip
# Enforced beside another keyword, so absent from jsonschema's per-draft VALIDATORS.
SIBLINGS = frozenset({"else", "exclusiveMaximum", "exclusiveMinimum", "maxContains",
    "minContains", "then"})  # fmt: skip
MODELLED = frozenset({"$ref", "additionalItems", "additionalProperties", "allOf", "anyOf",
    "const", "enum", "items", "maxItems", "maxLength", "maxProperties", "maximum", "minItems",
    "minLength", "minProperties", "minimum", "multipleOf", "not", "oneOf", "pattern",
    "prefixItems", "properties", "required", "type", "uniqueItems"})  # fmt: skip
# Keywords that only mean something together (compared, or merged, as one).
GROUPS = ({"if", "then", "else"}, {"contains", "minContains", "maxContains"},
    {"items", "additionalItems", "prefixItems"})  # fmt: skip
# Keywords whose meaning depends on the whole schema around them.
CONTEXTUAL = frozenset({"$dynamicRef", "$recursiveRef", "unevaluatedItems",
    "unevaluatedProperties"})  # fmt: skip
PARTIAL = "NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
UNOPEN = "_TO_UNOPEN_CONTENT_MODEL"
MAX_DEPTH = 64
# Count limits two conjuncts both impose: the tighter one holds.
TIGHTER = {"maxItems": min, "maxLength": min, "maxProperties": min,
           "minItems": max, "minLength": max, "minProperties": max}  # fmt: skip


def merge(a: Obj, b: Obj) -> Schema:
    """A schema every instance of both ``a`` and ``b`` satisfies (possibly more; False: none)."""
    out = dict(a)
    for group in GROUPS:
        if group & a.keys():
            b = {k: v for k, v in b.items() if k not in group}
    for key, value in b.items():
        if key not in out:
            out[key] = value
        elif key == "required":
            out[key] = list(dict.fromkeys([*out[key], *value]))
        elif key == "properties":
            both = {k: {"allOf": [out[key][k], value[k]]} for k in out[key].keys() & value.keys()}
            out[key] = {**value, **out[key], **both}
        elif key == "allOf":
            out[key] = [*out[key], *value]
        elif key in TIGHTER and isinstance(out[key], int) and isinstance(value, int):
            out[key] = TIGHTER[key](out[key], value)
        elif key == "type" and not (types := intersection(types_of(a), types_of(b))):
            return False
        elif key == "type":
            out[key] = sorted(types)
    return out  # any other keyword both have: the first one's (dropping a constraint widens)


def declared_types(s: Obj) -> set[str] | None:
    kind = s.get("type")
    return {kind} if isinstance(kind, str) else set(kind) if isinstance(kind, list) else None


def types_of(s: Obj) -> set[str]:
    """The instance types ``s`` may accept ("integer" where only integers)."""
    if (declared := declared_types(s)) is not None:
        return declared
    if "const" in s or isinstance(s.get("enum"), list):
        names = {bool: "boolean", int: "integer", str: "string", list: "array", dict: "object"}
        values = [s["const"]] if "const" in s else s["enum"]
        return {names.get(type(v), "number" if isinstance(v, float) else "null") for v in values}
    return set(TYPES)


def accepts(types: set[str], kind: str) -> bool:
    return kind in types or (kind == "integer" and "number" in types)


def intersection(a: set[str], b: set[str]) -> set[str]:
    return {t for t in a if accepts(b, t)} | {t for t in b if accepts(a, t)}


def strings(r: Obj, w: Obj, path: str) -> list[str]:
    reasons = most(r, w, path, "maxLength") + least(r, w, path, "minLength")
    if "pattern" in r and r["pattern"] != w.get("pattern"):
        rule = "PATTERN_CHANGED" if "pattern" in w else "PATTERN_ADDED"
        reasons += why(rule, f"{path}/pattern", f"the reader requires {r['pattern']!r}")
    return reasons


def numbers(r: Obj, w: Obj, path: str, integers: bool) -> list[str]:
    reasons = []
    for sign, plain in ((1, "minimum"), (-1, "maximum")):
        exclusive = f"exclusive{plain.title()}"
        have = max(((v, s) for _, v, s in _bounds(w, plain, exclusive, sign)), default=None)
        for kw, value, strict in _bounds(r, plain, exclusive, sign):
            if have is None or have[0] < value or (have[0] == value and strict > have[1]):
                change = "ADDED" if have is None else "INCREASED" if sign > 0 else "DECREASED"
                detail = f"the reader's bound {sign * value} excludes numbers the writer allows"
                reasons += why(f"{_snake(kw)}_{change}", f"{path}/{kw}", detail)
    if "multipleOf" not in r:
        return reasons
    step, theirs = Fraction(str(r["multipleOf"])), w.get("multipleOf")
    ratio = None if theirs is None else Fraction(str(theirs)) / step
    if (ratio is not None and ratio.denominator == 1) or (integers and (1 / step).denominator == 1):
        return reasons  # the writer's multiples, or its integers, are multiples of the reader's
    change = "ADDED" if ratio is None else "EXPANDED" if (1 / ratio).denominator == 1 else "CHANGED"
    detail = f"the reader requires multiples of {r['multipleOf']}"
    return reasons + why(f"MULTIPLE_OF_{change}", f"{path}/multipleOf", detail)


def _bounds(s: Obj, plain: str, exclusive: str, sign: int) -> list[tuple[str, Any, bool]]:
    """(keyword, signed value, exclusive) of each bound; ``sign`` -1 turns maxima into minima."""
    bounds = []
    if isinstance(s.get(plain), int | float):
        draft4 = s.get(exclusive) is True  # draft 4: a boolean that makes the bound exclusive
        bounds.append((exclusive if draft4 else plain, sign * s[plain], draft4))
    if isinstance(s.get(exclusive), int | float) and not isinstance(s[exclusive], bool):
        bounds.append((exclusive, sign * s[exclusive], True))
    return bounds


def most(r: Obj, w: Obj, path: str, kw: str) -> list[str]:
    """A maxLength/maxItems/maxProperties added or decreased."""
    if kw not in r or (kw in w and w[kw] <= r[kw]):
        return []
    change, theirs = ("DECREASED", f"up to {w[kw]}") if kw in w else ("ADDED", "any number")
    detail = f"the reader allows at most {r[kw]}, the writer {theirs}"
    return why(f"{_snake(kw)}_{change}", f"{path}/{kw}", detail)


def least(r: Obj, w: Obj, path: str, kw: str) -> list[str]:
    """A minLength/minItems/minProperties added or increased."""
    if r.get(kw, 0) <= w.get(kw, 0):
        return []
    change, theirs = ("INCREASED", f"from {w[kw]}") if kw in w else ("ADDED", "from 0")
    detail = f"the reader requires at least {r[kw]}, the writer {theirs}"
    return why(f"{_snake(kw)}_{change}", f"{path}/{kw}", detail)


def open_content(s: Obj) -> bool:
    """An open content model: any undeclared property, with any value."""
    extra = s.get("additionalProperties", True)
    return not s.get("patternProperties") and (extra is True or extra == {})


def search(pattern: str, name: str) -> bool | None:
    """Whether ``pattern`` matches ``name`` (None: Python cannot tell)."""
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return None


def json_key(value: Any) -> Any:
    """A hashable key under which JSON values are equal exactly when JSON says so."""
    if isinstance(value, dict):
        return ("object", frozenset((k, json_key(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("array", tuple(json_key(v) for v in value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return ("number", Fraction(value) if abs(value) < float("inf") else str(value))
    return (type(value).__name__, value)


def _snake(keyword: str) -> str:
    """``exclusiveMinimum`` -> ``EXCLUSIVE_MINIMUM``: Confluent's rule stem for a keyword."""
    return re.sub("([A-Z])", r"_\1", keyword).upper()


def pointer(path: str, *tokens: Any) -> str:
    return path + "".join(f"/{escape(str(t))}" for t in tokens)


def why(rule: str, where: str, detail: str) -> list[str]:
    """One reason, as a list to add to others."""
    return [f"{rule} at {where}: {detail}"]
