"""Whether a JSON Schema reader accepts every instance a writer schema accepts, and if not, why.

Rules are named after Confluent's JSON Schema difference types (``json.diff.Difference.Type``);
paths are JSON pointers into the schemas. What cannot be proved compatible (regular expressions,
keywords not modelled here, unresolvable references) is reported, never assumed: a reason may be
a false alarm, an empty list never is. The one rule name that is not Confluent's is ``UNDECIDED``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from registry.errors import InvalidSchemaError
from registry.json_keywords import (
    CONTEXTUAL,
    GROUPS,
    MAX_DEPTH,
    MODELLED,
    PARTIAL,
    SIBLINGS,
    UNDECIDED,
    UNOPEN,
    Obj,
    Schema,
    accepts,
    declared_types,
    intersection,
    json_key,
    least,
    merge,
    most,
    numbers,
    open_content,
    pointer,
    search,
    strings,
    types_of,
    why,
)
from registry.json_schema import check_schema, walk
from registry.json_side import NO_ALTS, Alts, Side, shape


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
    if json_key(reader) == json_key(writer):
        return []
    reasons = [
        reason
        for doc in (reader, writer)
        for where, node in walk(doc)
        if where != "#" and isinstance(node.get("$id"), str) and not node["$id"].startswith("#")
        for reason in why(UNDECIDED, where, "an embedded $id changes how references resolve")
    ]
    reasons += _Checker(Side.of(reader), Side.of(writer)).check(reader, writer, "#")
    return list(dict.fromkeys(reasons))


@dataclass
class _Checker:
    reader: Side
    writer: Side
    active: set[tuple[int, int, int]] = field(default_factory=set)
    depth: int = 0

    def check(self, r: Schema, w: Schema, path: str, alts: Alts = NO_ALTS) -> list[str]:
        """Why reader node ``r`` may reject an instance of writer node ``w`` (at ``path``)."""
        rr, wr = self.reader.resolve(r), self.writer.resolve(w)
        if rr is None or wr is None:
            return why(UNDECIDED, path, "a $ref does not resolve within its schema")
        key = (id(rr), id(wr), id(alts))
        if key in self.active:
            return []  # a cycle through $ref: what is being proved may be assumed (coinduction)
        if self.depth >= MAX_DEPTH:
            return why(UNDECIDED, path, "the schemas nest too deeply to compare")
        self.active.add(key)
        self.depth += 1
        try:
            return self._check(rr, wr, path, alts)
        finally:
            self.active.discard(key)
            self.depth -= 1

    def _check(self, r: Schema, w: Schema, path: str, alts: Alts) -> list[str]:
        if w is False or self._same(r, w):
            return []
        r, w = self.reader.effective(r), self.writer.effective(w)
        if w is False or r is True:
            return []
        if r is False:
            return why("TYPE_CHANGED", path, "the reader accepts nothing here")
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
            merged = merge(merged, flat) if isinstance(flat, dict) else merged
            if flat is False or merged is False:
                return False
        return merged

    def _writer_union(self, r: Obj, w: Obj, kw: str, path: str) -> list[str]:
        base, branches, reasons = {k: v for k, v in w.items() if k != kw}, w[kw], []
        for i, branch in enumerate(branches):
            sub = self.writer.effective(branch)
            merged = merge(base, sub) if isinstance(sub, dict) else base
            if sub is False or merged is False:
                continue
            others = tuple(b for j, b in enumerate(branches) if j != i) if kw == "oneOf" else ()
            at = path if "anyOf" in r or "oneOf" in r else f"{path}/{kw}/{i}"
            reasons += self.check(r, merged, at, Alts(len(branches), others))
        return reasons

    def _combinators(self, r: Obj, w: Obj, path: str, alts: Alts, conj: list[Any]) -> list[str]:
        reasons = []
        for i, sub in enumerate(r.get("allOf", [])):
            at = f"{path}/allOf/{i}"
            if any(self._same(sub, c) or not self.check(sub, c, at) for c in conj):
                continue  # a conjunct of the writer implies it
            if (nested := self.check(sub, w, at)) and conj:
                detail = f"the reader adds a conjunct the writer's data may fail ({nested[0]})"
                reasons += why("PRODUCT_TYPE_EXTENDED", at, detail)
            else:
                reasons += nested
        for kw in ("anyOf", "oneOf"):
            if kw in r:
                reasons += self._reader_union(r[kw], kw, w, path, alts)
        if "not" in r and not self._disjoint(w, r["not"]):
            swapped = _Checker(self.writer, self.reader, depth=self.depth)
            if "not" not in w or swapped.check(w["not"], r["not"], f"{path}/not"):
                detail = "the reader excludes values the writer's schema may allow"
                reasons += why("NOT_TYPE_EXTENDED", f"{path}/not", detail)
        return reasons

    def _reader_union(
        self, branches: list[Any], kw: str, w: Obj, path: str, alts: Alts
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
        return why(rule, f"{path}/{kw}", detail)

    # -- keywords -------------------------------------------------------------------------------

    def _keywords(self, r: Obj, w: Obj, path: str) -> list[str]:
        written, declared = types_of(w), declared_types(r)
        flowing = {t for t in written if declared is None or accepts(declared, t)}
        reasons = []
        if declared is not None and flowing != written:
            narrowed = flowing or ("number" in written and "integer" in declared)
            rule = "TYPE_NARROWED" if narrowed else "TYPE_CHANGED"
            detail = f"the writer allows {sorted(written - flowing)}, the reader {sorted(declared)}"
            reasons += why(rule, f"{path}/type", detail)
        reasons += self._values(r, w, path)
        if "string" in flowing:
            reasons += strings(r, w, path)
        if flowing & {"integer", "number"}:
            reasons += numbers(r, w, path, integers="number" not in flowing)
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
            allowed = {json_key(v) for v in (r[kw] if kw == "enum" else [r[kw]])}
            written = self._finite(w)
            if written is None:
                reasons += why("ENUM_ARRAY_NARROWED", f"{path}/{kw}", "the writer allows any value")
            elif missing := [v for v in written if json_key(v) not in allowed]:
                rule = "NARROWED" if allowed <= {json_key(v) for v in written} else "CHANGED"
                detail = f"the reader does not allow {json.dumps(missing)[:200]}"
                reasons += why(f"ENUM_ARRAY_{rule}", f"{path}/{kw}", detail)
        return reasons

    def _unmodelled(self, r: Obj, w: Obj, path: str) -> list[str]:
        reasons = []
        for kw in sorted(r.keys() - MODELLED - SIBLINGS):
            group = next((g for g in GROUPS if kw in g), {kw})
            if kw in CONTEXTUAL or not all(self._same(r.get(k), w.get(k)) for k in group):
                detail = f"the reader's {kw!r} differs from the writer's and is not compared"
                reasons += why(UNDECIDED, f"{path}/{kw}", detail)
        return reasons

    # -- objects: "properties" recursively; open, partially open and closed content models ------

    def _objects(self, r: Obj, w: Obj, path: str) -> list[str]:
        reasons, have = [], set(w.get("required", []))
        for name in [n for n in r.get("required", []) if n not in have]:
            known = name in w.get("properties", {}) or open_content(w)
            rule = "REQUIRED_ATTRIBUTE" if known else "REQUIRED_PROPERTY"
            detail = f"the reader requires {name!r}, the writer does not (a default does not help)"
            reasons += why(
                f"{rule}_ADDED{'' if known else UNOPEN}", pointer(path, "required", name), detail
            )
        for name in sorted(r.get("properties", {}).keys() | w.get("properties", {}).keys()):
            reasons += self._property(r, w, name, pointer(path, "properties", name))
        extra, written = r.get("additionalProperties", True), w.get("additionalProperties", True)
        if nested := self.check(extra, written, at := f"{path}/additionalProperties"):
            if self.reader.effective(extra) is False:
                nested = why("ADDITIONAL_PROPERTIES_REMOVED", at, "the reader allows no others")
            elif self._open(written):
                nested = why("ADDITIONAL_PROPERTIES_NARROWED", at, "the reader constrains others")
            reasons += nested
        return reasons + most(r, w, path, "maxProperties") + least(r, w, path, "minProperties")

    def _property(self, r: Obj, w: Obj, name: str, where: str) -> list[str]:
        rp, wp = r.get("properties", {}), w.get("properties", {})
        written = wp[name] if name in wp else self._extra(w, name)
        if name in rp and name in wp:
            return self.check(rp[name], written, where)
        if name in rp and (nested := self.check(rp[name], written, where)):
            model = "TO_OPEN_CONTENT_MODEL" if open_content(w) else PARTIAL
            detail = f"the reader's schema rejects values the writer may write ({nested[0]})"
            return why(f"PROPERTY_ADDED_{model}", where, detail)
        patterns = r.get("patternProperties", {})
        if name in rp or any(search(p, name) for p in patterns):
            return []  # a pattern the writer has too (else the patterns are reported UNDECIDED)
        extra = r.get("additionalProperties", True)
        if not (nested := self.check(extra, written, where)):
            return []
        if self.reader.effective(extra) is False:
            return why("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", where, "the reader forbids it")
        detail = f"the reader's additionalProperties rejects it ({nested[0]})"
        return why(f"PROPERTY_REMOVED_{PARTIAL}", where, detail)

    def _extra(self, w: Obj, name: str) -> Schema:
        """The writer's schema for a name it does not declare (the first pattern that matches)."""
        for pattern, schema in w.get("patternProperties", {}).items():
            found = search(pattern, name)
            if found is not False:
                return schema if found else True
        return w.get("additionalProperties", True)

    # -- arrays: "items" (one schema or a tuple), the items beyond a tuple, counts, uniqueness --

    def _arrays(self, r: Obj, w: Obj, path: str) -> list[str]:
        (rt, rrest, names), (wt, wrest, _) = shape(self.reader, r), shape(self.writer, w)
        reasons, limit, count = [], w.get("maxItems"), max(len(rt), len(wt))
        for i in range(count if limit is None else min(count, limit)):
            where, written = f"{path}/{names[0]}/{i}", wt[i] if i < len(wt) else wrest
            if i < len(wt) and i < len(rt):
                reasons += self.check(rt[i], written, where)
            elif i < len(rt) and (nested := self.check(rt[i], written, where)):
                model = "TO_OPEN_CONTENT_MODEL" if self._open(written) else PARTIAL
                detail = f"the reader's schema rejects items the writer may write ({nested[0]})"
                reasons += why(f"ITEM_ADDED_{model}", where, detail)
            elif i >= len(rt) and (nested := self.check(rrest, written, where)):
                if self.reader.effective(rrest) is False:
                    reasons += why("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", where, "not allowed")
                else:
                    detail = f"the reader's schema for further items rejects it ({nested[0]})"
                    reasons += why(f"ITEM_REMOVED_{PARTIAL}", where, detail)
        at = f"{path}/{names[1]}"
        if (limit is None or limit > count) and (nested := self.check(rrest, wrest, at)):
            if count and self.reader.effective(rrest) is False:
                nested = why("ADDITIONAL_ITEMS_REMOVED", at, "the reader allows no further items")
            elif count and self._open(wrest):
                nested = why("ADDITIONAL_ITEMS_NARROWED", at, "the reader constrains further items")
            reasons += nested
        unique = r.get("uniqueItems") is True and w.get("uniqueItems") is not True
        if unique and (limit is None or limit > 1):
            reasons += why("UNIQUE_ITEMS_ADDED", f"{path}/uniqueItems", "the reader requires it")
        return reasons + most(r, w, path, "maxItems") + least(r, w, path, "minItems")

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
        elif (types := declared_types(w)) is not None and types <= {"null", "boolean"}:
            candidates = [None, True, False]
        else:
            return None
        return [v for v in candidates if self.writer.valid(w, v, strict=False)]

    def _disjoint(self, w: Obj, branch: Schema, depth: int = 0) -> bool:
        """Whether no instance of writer node ``w`` is valid under reader node ``branch``."""
        b = self.reader.effective(branch)
        if not isinstance(b, dict) or depth > 8:
            return b is False
        if not intersection(types_of(w), types_of(b)):
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
                json_key(r[k]) == json_key(w[k]) if k in data else self._same(r[k], w[k], seen)
                for k in r
            )
        if isinstance(r, list) and isinstance(w, list) and len(r) == len(w):
            return all(self._same(a, b, seen) for a, b in zip(r, w, strict=True))
        return bool(json_key(r) == json_key(w))
