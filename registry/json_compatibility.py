"""Whether a JSON Schema reader accepts every instance a writer schema accepts, and if not, why.

Rules are named after Confluent's JSON Schema difference types (``json.diff.Difference.Type``);
paths are JSON pointers into the schemas. What cannot be proved compatible (regular expressions,
keywords not modelled here, unresolvable references) is reported, never assumed: a reason may be
a false alarm, an empty list never is. The one rule name that is not Confluent's is ``UNDECIDED``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from jsonschema.protocols import Validator
from referencing.exceptions import Unresolvable

from registry.errors import InvalidSchemaError
from registry.json_schema import check_schema, escape, resolve, validator_class, walk

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


def incompatibilities(reader: object, writer: object) -> list[str]:
    """Why ``reader`` may reject an instance ``writer`` accepts; empty when it accepts them all.

    Both are parsed JSON Schema documents (an object or a boolean) with local references only;
    ``InvalidSchemaError`` if either is not. Each reason reads ``"<RULE> at <json pointer>:
    <detail>"``.
    """
    for doc in (reader, writer):
        if not isinstance(doc, dict | bool):
            raise InvalidSchemaError(f"not a JSON Schema document: {doc!r:.80}")
        check_schema(doc)
    if _key(reader) == _key(writer):
        return []
    reasons = [
        reason
        for doc in (reader, writer)
        for where, node in walk(doc)
        if where != "#" and isinstance(node.get("$id"), str) and not node["$id"].startswith("#")
        for reason in _why(UNDECIDED, where, "an embedded $id changes how references resolve")
    ]
    reasons += _Checker(_Side.of(reader), _Side.of(writer)).check(reader, writer, "#")
    return list(dict.fromkeys(reasons))


@dataclass(frozen=True)
class _Side:
    """One schema document: its root, the keywords its draft enforces, and its validators."""

    root: Schema
    keywords: frozenset[str]
    lenient: Validator  # formats not asserted
    strict: Validator

    @staticmethod
    def of(root: Schema) -> _Side:
        cls = validator_class(root)
        words = frozenset(cls.VALIDATORS) | SIBLINGS
        return _Side(root, words, cls(root), cls(root, format_checker=cls.FORMAT_CHECKER))

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
class _Alts:
    """The writer's alternatives a branch came from (``others``: its oneOf siblings)."""

    count: int = 0
    others: tuple[Schema, ...] = ()


NO_ALTS = _Alts()


@dataclass
class _Checker:
    reader: _Side
    writer: _Side
    active: set[tuple[int, int, int]] = field(default_factory=set)
    depth: int = 0

    def check(self, r: Schema, w: Schema, path: str, alts: _Alts = NO_ALTS) -> list[str]:
        """Why reader node ``r`` may reject an instance of writer node ``w`` (at ``path``)."""
        rr, wr = self.reader.resolve(r), self.writer.resolve(w)
        if rr is None or wr is None:
            return _why(UNDECIDED, path, "a $ref does not resolve within its schema")
        key = (id(rr), id(wr), id(alts))
        if key in self.active:
            return []  # a cycle through $ref: what is being proved may be assumed (coinduction)
        if self.depth >= MAX_DEPTH:
            return _why(UNDECIDED, path, "the schemas nest too deeply to compare")
        self.active.add(key)
        self.depth += 1
        try:
            return self._check(rr, wr, path, alts)
        finally:
            self.active.discard(key)
            self.depth -= 1

    def _check(self, r: Schema, w: Schema, path: str, alts: _Alts) -> list[str]:
        if w is False or self._same(r, w):
            return []
        r, w = self.reader.effective(r), self.writer.effective(w)
        if w is False or r is True:
            return []
        if r is False:
            return _why("TYPE_CHANGED", path, "the reader accepts nothing here")
        conjuncts = w.get("allOf", []) if isinstance(w, dict) else []
        w = self._flatten(w if isinstance(w, dict) else {})
        if w is False:
            return []
        for kw in ("anyOf", "oneOf"):
            if kw in w:
                return self._writer_union(r, w, kw, path)
        reasons = self._combinators(r, w, path, alts, conjuncts) + self._keywords(r, w, path)
        values = self._finite(w) if reasons else None
        if values is not None and all(self.reader.valid(r, v, strict=True) for v in values):
            return []  # the writer allows a few values, and the reader accepts each
        return reasons

    # -- combinators: the writer's allOf merged, its anyOf/oneOf split; the reader's checked ----

    def _flatten(self, w: Obj, depth: int = 0) -> Schema:
        """One schema for the writer's allOf (wider where conjuncts do not merge: still sound)."""
        merged: Schema = {k: v for k, v in w.items() if k != "allOf"}
        for sub in w.get("allOf", []) if depth < MAX_DEPTH else []:
            sub = self.writer.effective(sub)
            flat = self._flatten(sub, depth + 1) if isinstance(sub, dict) else sub
            merged = _merge(merged, flat) if isinstance(flat, dict) else merged
            if flat is False or merged is False:
                return False
        return merged

    def _writer_union(self, r: Obj, w: Obj, kw: str, path: str) -> list[str]:
        base, branches, reasons = {k: v for k, v in w.items() if k != kw}, w[kw], []
        for i, branch in enumerate(branches):
            sub = self.writer.effective(branch)
            merged = _merge(base, sub) if isinstance(sub, dict) else base
            if sub is False or merged is False:
                continue
            others = tuple(b for j, b in enumerate(branches) if j != i) if kw == "oneOf" else ()
            at = path if "anyOf" in r or "oneOf" in r else f"{path}/{kw}/{i}"
            reasons += self.check(r, merged, at, _Alts(len(branches), others))
        return reasons

    def _combinators(self, r: Obj, w: Obj, path: str, alts: _Alts, conj: list[Any]) -> list[str]:
        reasons = []
        for i, sub in enumerate(r.get("allOf", [])):
            at = f"{path}/allOf/{i}"
            if any(self._same(sub, c) or not self.check(sub, c, at) for c in conj):
                continue  # a conjunct of the writer implies it
            if (nested := self.check(sub, w, at)) and conj:
                detail = f"the reader adds a conjunct the writer's data may fail ({nested[0]})"
                reasons += _why("PRODUCT_TYPE_EXTENDED", at, detail)
            else:
                reasons += nested
        for kw in ("anyOf", "oneOf"):
            if kw in r:
                reasons += self._reader_union(r[kw], kw, w, path, alts)
        if "not" in r and not self._disjoint(w, r["not"]):
            swapped = _Checker(self.writer, self.reader, depth=self.depth)
            if "not" not in w or swapped.check(w["not"], r["not"], f"{path}/not"):
                detail = "the reader excludes values the writer's schema may allow"
                reasons += _why("NOT_TYPE_EXTENDED", f"{path}/not", detail)
        return reasons

    def _reader_union(
        self, branches: list[Any], kw: str, w: Obj, path: str, alts: _Alts
    ) -> list[str]:
        if len(branches) == 1:
            return self.check(branches[0], w, f"{path}/{kw}/0")
        closest: list[str] = []
        for i, branch in enumerate(branches):
            if nested := self.check(branch, w, f"{path}/{kw}/{i}"):
                closest = nested if not closest or len(nested) < len(closest) else closest
                continue
            if kw == "anyOf" or all(  # oneOf: no other alternative may accept the same data
                self._disjoint(w, b) or any(self._same(b, o) for o in alts.others)
                for j, b in enumerate(branches)
                if j != i
            ):
                return []
        rule, what = "TYPE_CHANGED", "schema"
        if alts.count:
            narrowed = len(branches) < alts.count
            rule = "SUM_TYPE_NARROWED" if narrowed else "COMBINED_TYPE_SUBSCHEMAS_CHANGED"
            what = f"alternative (of {alts.count})"
        alone = " alone" if kw == "oneOf" else ""
        detail = f"no reader alternative accepts{alone} all the writer's {what} allows"
        detail += f" (closest: {closest[0]})" if closest else ""
        return _why(rule, f"{path}/{kw}", detail)

    # -- keywords -------------------------------------------------------------------------------

    def _keywords(self, r: Obj, w: Obj, path: str) -> list[str]:
        written, declared = _types(w), _declared(r)
        flowing = {t for t in written if declared is None or _accepts(declared, t)}
        reasons = []
        if declared is not None and flowing != written:
            narrowed = flowing or ("number" in written and "integer" in declared)
            rule = "TYPE_NARROWED" if narrowed else "TYPE_CHANGED"
            detail = f"the writer allows {sorted(written - flowing)}, the reader {sorted(declared)}"
            reasons += _why(rule, f"{path}/type", detail)
        reasons += self._values(r, w, path)
        if "string" in flowing:
            reasons += _strings(r, w, path)
        if flowing & {"integer", "number"}:
            reasons += _numbers(r, w, path, integers="number" not in flowing)
        if "object" in flowing:
            reasons += self._objects(r, w, path)
        if "array" in flowing:
            reasons += self._arrays(r, w, path)
        return reasons + self._unmodelled(r, w, path)

    def _values(self, r: Obj, w: Obj, path: str) -> list[str]:
        reasons = []
        for kw in ("enum", "const"):
            if kw not in r:
                continue
            allowed = {_key(v) for v in (r[kw] if kw == "enum" else [r[kw]])}
            written = self._finite(w)
            if written is None:
                reasons += _why(
                    "ENUM_ARRAY_NARROWED", f"{path}/{kw}", "the writer allows any value"
                )
            elif missing := [v for v in written if _key(v) not in allowed]:
                rule = "NARROWED" if allowed <= {_key(v) for v in written} else "CHANGED"
                detail = f"the reader does not allow {json.dumps(missing)[:200]}"
                reasons += _why(f"ENUM_ARRAY_{rule}", f"{path}/{kw}", detail)
        return reasons

    def _unmodelled(self, r: Obj, w: Obj, path: str) -> list[str]:
        reasons = []
        for kw in sorted(r.keys() - MODELLED - SIBLINGS):
            group = next((g for g in GROUPS if kw in g), {kw})
            if kw in CONTEXTUAL or not all(self._same(r.get(k), w.get(k)) for k in group):
                detail = f"the reader's {kw!r} differs from the writer's and is not compared"
                reasons += _why(UNDECIDED, f"{path}/{kw}", detail)
        return reasons

    # -- objects: "properties" recursively; open, partially open and closed content models ------

    def _objects(self, r: Obj, w: Obj, path: str) -> list[str]:
        reasons, have = [], set(w.get("required", []))
        for name in [n for n in r.get("required", []) if n not in have]:
            known = name in w.get("properties", {}) or _open(w)
            rule = "REQUIRED_ATTRIBUTE" if known else "REQUIRED_PROPERTY"
            detail = f"the reader requires {name!r}, the writer does not (a default does not help)"
            reasons += _why(
                f"{rule}_ADDED{'' if known else UNOPEN}", _at(path, "required", name), detail
            )
        for name in sorted(r.get("properties", {}).keys() | w.get("properties", {}).keys()):
            reasons += self._property(r, w, name, _at(path, "properties", name))
        extra, written = r.get("additionalProperties", True), w.get("additionalProperties", True)
        if nested := self.check(extra, written, at := f"{path}/additionalProperties"):
            if self.reader.effective(extra) is False:
                nested = _why("ADDITIONAL_PROPERTIES_REMOVED", at, "the reader allows no others")
            elif self._open(written):
                nested = _why("ADDITIONAL_PROPERTIES_NARROWED", at, "the reader constrains others")
            reasons += nested
        return reasons + _most(r, w, path, "maxProperties") + _least(r, w, path, "minProperties")

    def _property(self, r: Obj, w: Obj, name: str, where: str) -> list[str]:
        rp, wp = r.get("properties", {}), w.get("properties", {})
        written = wp[name] if name in wp else self._extra(w, name)
        if name in rp and name in wp:
            return self.check(rp[name], written, where)
        if name in rp and (nested := self.check(rp[name], written, where)):
            model = "TO_OPEN_CONTENT_MODEL" if _open(w) else PARTIAL
            detail = f"the reader's schema rejects values the writer may write ({nested[0]})"
            return _why(f"PROPERTY_ADDED_{model}", where, detail)
        patterns = r.get("patternProperties", {})
        if name in rp or any(_search(p, name) for p in patterns):
            return []  # a pattern the writer has too (else the patterns are reported UNDECIDED)
        extra = r.get("additionalProperties", True)
        if not (nested := self.check(extra, written, where)):
            return []
        if self.reader.effective(extra) is False:
            return _why(
                "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", where, "the reader forbids it"
            )
        detail = f"the reader's additionalProperties rejects it ({nested[0]})"
        return _why(f"PROPERTY_REMOVED_{PARTIAL}", where, detail)

    def _extra(self, w: Obj, name: str) -> Schema:
        """The writer's schema for a name it does not declare (the first pattern that matches)."""
        for pattern, schema in w.get("patternProperties", {}).items():
            found = _search(pattern, name)
            if found is not False:
                return schema if found else True
        return w.get("additionalProperties", True)

    # -- arrays: "items" (one schema or a tuple), the items beyond a tuple, counts, uniqueness --

    def _arrays(self, r: Obj, w: Obj, path: str) -> list[str]:
        (rt, rrest, names), (wt, wrest, _) = _shape(self.reader, r), _shape(self.writer, w)
        reasons, limit, count = [], w.get("maxItems"), max(len(rt), len(wt))
        for i in range(count if limit is None else min(count, limit)):
            where, written = f"{path}/{names[0]}/{i}", wt[i] if i < len(wt) else wrest
            if i < len(wt) and i < len(rt):
                reasons += self.check(rt[i], written, where)
            elif i < len(rt) and (nested := self.check(rt[i], written, where)):
                model = "TO_OPEN_CONTENT_MODEL" if self._open(written) else PARTIAL
                detail = f"the reader's schema rejects items the writer may write ({nested[0]})"
                reasons += _why(f"ITEM_ADDED_{model}", where, detail)
            elif i >= len(rt) and (nested := self.check(rrest, written, where)):
                if self.reader.effective(rrest) is False:
                    reasons += _why("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", where, "not allowed")
                else:
                    detail = f"the reader's schema for further items rejects it ({nested[0]})"
                    reasons += _why(f"ITEM_REMOVED_{PARTIAL}", where, detail)
        at = f"{path}/{names[1]}"
        if (limit is None or limit > count) and (nested := self.check(rrest, wrest, at)):
            if count and self.reader.effective(rrest) is False:
                nested = _why("ADDITIONAL_ITEMS_REMOVED", at, "the reader allows no further items")
            elif count and self._open(wrest):
                nested = _why(
                    "ADDITIONAL_ITEMS_NARROWED", at, "the reader constrains further items"
                )
            reasons += nested
        unique = r.get("uniqueItems") is True and w.get("uniqueItems") is not True
        if unique and (limit is None or limit > 1):
            reasons += _why("UNIQUE_ITEMS_ADDED", f"{path}/uniqueItems", "the reader requires it")
        return reasons + _most(r, w, path, "maxItems") + _least(r, w, path, "minItems")

    # -- helpers that need the documents --------------------------------------------------------

    def _open(self, written: Schema) -> bool:
        """Whether the writer's schema allows any value."""
        return self.writer.effective(written) is True

    def _finite(self, w: Obj) -> list[Any] | None:
        """The values the writer may write, when they are few (None: unbounded)."""
        if "const" in w:
            candidates = [w["const"]]
        elif isinstance(w.get("enum"), list):
            candidates = w["enum"]
        elif (types := _declared(w)) is not None and types <= {"null", "boolean"}:
            candidates = [None, True, False]
        else:
            return None
        return [v for v in candidates if self.writer.valid(w, v, strict=False)]

    def _disjoint(self, w: Obj, branch: Schema, depth: int = 0) -> bool:
        """Whether no instance of writer node ``w`` is valid under reader node ``branch``."""
        b = self.reader.effective(branch)
        if not isinstance(b, dict) or depth > 8:
            return b is False
        if not _intersection(_types(w), _types(b)):
            return True
        if (values := self._finite(w)) is not None:
            return not any(self.reader.valid(b, v, strict=False) for v in values)
        wp, bp = w.get("properties", {}), b.get("properties", {})
        for name in set(w.get("required", [])) | set(b.get("required", [])):  # a discriminator
            sub = self.writer.effective(wp.get(name, True))
            if name in bp and isinstance(sub, dict) and self._disjoint(sub, bp[name], depth + 1):
                return True
        return False

    def _same(self, r: Any, w: Any, seen: set[tuple[int, int]] | None = None) -> bool:
        """Whether reader node ``r`` and writer node ``w`` are the same schema, refs followed."""
        if self.reader.keywords != self.writer.keywords:
            return False  # different drafts: the same text may mean different things
        seen = set() if seen is None else seen
        if isinstance(r, dict) and isinstance(w, dict):
            if isinstance(r.get("$ref"), str) or isinstance(w.get("$ref"), str):
                if (id(r), id(w)) in seen:
                    return True
                seen.add((id(r), id(w)))
                rr, wr = self.reader.resolve(r), self.writer.resolve(w)
                return rr is not None and wr is not None and self._same(rr, wr, seen)
            data = ("const", "default", "enum", "examples")
            return r.keys() == w.keys() and all(
                _key(r[k]) == _key(w[k]) if k in data else self._same(r[k], w[k], seen) for k in r
            )
        if isinstance(r, list) and isinstance(w, list) and len(r) == len(w):
            return all(self._same(a, b, seen) for a, b in zip(r, w, strict=True))
        return bool(_key(r) == _key(w))


# -- pure helpers -------------------------------------------------------------------------------


def _merge(a: Obj, b: Obj) -> Schema:
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
        elif key == "type" and not (types := _intersection(_types(a), _types(b))):
            return False
        elif key == "type":
            out[key] = sorted(types)
    return out  # any other keyword both have: the first one's (dropping a constraint widens)


def _declared(s: Obj) -> set[str] | None:
    kind = s.get("type")
    return {kind} if isinstance(kind, str) else set(kind) if isinstance(kind, list) else None


def _types(s: Obj) -> set[str]:
    """The instance types ``s`` may accept ("integer" where only integers)."""
    if (declared := _declared(s)) is not None:
        return declared
    if "const" in s or isinstance(s.get("enum"), list):
        names = {bool: "boolean", int: "integer", str: "string", list: "array", dict: "object"}
        values = [s["const"]] if "const" in s else s["enum"]
        return {names.get(type(v), "number" if isinstance(v, float) else "null") for v in values}
    return set(TYPES)


def _accepts(types: set[str], kind: str) -> bool:
    return kind in types or (kind == "integer" and "number" in types)


def _intersection(a: set[str], b: set[str]) -> set[str]:
    return {t for t in a if _accepts(b, t)} | {t for t in b if _accepts(a, t)}


def _strings(r: Obj, w: Obj, path: str) -> list[str]:
    reasons = _most(r, w, path, "maxLength") + _least(r, w, path, "minLength")
    if "pattern" in r and r["pattern"] != w.get("pattern"):
        rule = "PATTERN_CHANGED" if "pattern" in w else "PATTERN_ADDED"
        reasons += _why(rule, f"{path}/pattern", f"the reader requires {r['pattern']!r}")
    return reasons


def _numbers(r: Obj, w: Obj, path: str, integers: bool) -> list[str]:
    reasons = []
    for sign, plain in ((1, "minimum"), (-1, "maximum")):
        exclusive = f"exclusive{plain.title()}"
        have = max(((v, s) for _, v, s in _bounds(w, plain, exclusive, sign)), default=None)
        for kw, value, strict in _bounds(r, plain, exclusive, sign):
            if have is None or have[0] < value or (have[0] == value and strict > have[1]):
                change = "ADDED" if have is None else "INCREASED" if sign > 0 else "DECREASED"
                detail = f"the reader's bound {sign * value} excludes numbers the writer allows"
                reasons += _why(f"{_snake(kw)}_{change}", f"{path}/{kw}", detail)
    if "multipleOf" not in r:
        return reasons
    step, theirs = Fraction(str(r["multipleOf"])), w.get("multipleOf")
    ratio = None if theirs is None else Fraction(str(theirs)) / step
    if (ratio is not None and ratio.denominator == 1) or (integers and (1 / step).denominator == 1):
        return reasons  # the writer's multiples, or its integers, are multiples of the reader's
    change = "ADDED" if ratio is None else "EXPANDED" if (1 / ratio).denominator == 1 else "CHANGED"
    detail = f"the reader requires multiples of {r['multipleOf']}"
    return reasons + _why(f"MULTIPLE_OF_{change}", f"{path}/multipleOf", detail)


def _bounds(s: Obj, plain: str, exclusive: str, sign: int) -> list[tuple[str, Any, bool]]:
    """(keyword, signed value, exclusive) of each bound; ``sign`` -1 turns maxima into minima."""
    bounds = []
    if isinstance(s.get(plain), int | float):
        draft4 = s.get(exclusive) is True  # draft 4: a boolean that makes the bound exclusive
        bounds.append((exclusive if draft4 else plain, sign * s[plain], draft4))
    if isinstance(s.get(exclusive), int | float) and not isinstance(s[exclusive], bool):
        bounds.append((exclusive, sign * s[exclusive], True))
    return bounds


def _most(r: Obj, w: Obj, path: str, kw: str) -> list[str]:
    """A maxLength/maxItems/maxProperties added or decreased."""
    if kw not in r or (kw in w and w[kw] <= r[kw]):
        return []
    change, theirs = ("DECREASED", f"up to {w[kw]}") if kw in w else ("ADDED", "any number")
    detail = f"the reader allows at most {r[kw]}, the writer {theirs}"
    return _why(f"{_snake(kw)}_{change}", f"{path}/{kw}", detail)


def _least(r: Obj, w: Obj, path: str, kw: str) -> list[str]:
    """A minLength/minItems/minProperties added or increased."""
    if r.get(kw, 0) <= w.get(kw, 0):
        return []
    change, theirs = ("INCREASED", f"from {w[kw]}") if kw in w else ("ADDED", "from 0")
    detail = f"the reader requires at least {r[kw]}, the writer {theirs}"
    return _why(f"{_snake(kw)}_{change}", f"{path}/{kw}", detail)


def _open(s: Obj) -> bool:
    """An open content model: any undeclared property, with any value."""
    extra = s.get("additionalProperties", True)
    return not s.get("patternProperties") and (extra is True or extra == {})


def _search(pattern: str, name: str) -> bool | None:
    """Whether ``pattern`` matches ``name`` (None: Python cannot tell)."""
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return None


def _shape(side: _Side, s: Obj) -> tuple[list[Any], Schema, tuple[str, str]]:
    """(tuple item schemas, schema of the other items, their keywords) in the side's draft."""
    if "prefixItems" in side.keywords:
        return list(s.get("prefixItems", [])), s.get("items", True), ("prefixItems", "items")
    items = s.get("items", True)
    if isinstance(items, list):
        return items, s.get("additionalItems", True), ("items", "additionalItems")
    return [], items, ("items", "items")


def _key(value: Any) -> Any:
    """A hashable key under which JSON values are equal exactly when JSON says so."""
    if isinstance(value, dict):
        return ("object", frozenset((k, _key(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("array", tuple(_key(v) for v in value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return ("number", Fraction(value) if abs(value) < float("inf") else str(value))
    return (type(value).__name__, value)


def _snake(keyword: str) -> str:
    """``exclusiveMinimum`` -> ``EXCLUSIVE_MINIMUM``: Confluent's rule stem for a keyword."""
    return re.sub("([A-Z])", r"_\1", keyword).upper()


def _at(path: str, *tokens: Any) -> str:
    return path + "".join(f"/{escape(str(t))}" for t in tokens)


def _why(rule: str, where: str, detail: str) -> list[str]:
    """One reason, as a list to add to others."""
    return [f"{rule} at {where}: {detail}"]
