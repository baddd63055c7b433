"""What changed between two schema versions: a structural diff and both compatibility verdicts."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from producers.registry_client import RegistryClient
from registry import canonical, compatibility
from registry.compatibility import Level
from registry.errors import RegistryError

PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
NAMED = {"record", "enum", "fixed"}


@dataclass(frozen=True)
class Change:
    path: str
    kind: str
    old: Any = None
    new: Any = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Verdict:
    compatible: bool | None  # None: could not be checked here
    messages: list[str]


@dataclass(frozen=True)
class Comparison:
    """Two versions of a subject (the registry's answers), what changed, both verdicts."""

    subject: str
    old: dict[str, Any]
    new: dict[str, Any]
    changes: list[Change]
    backward: Verdict
    forward: Verdict

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject, "from": self.old["version"], "to": self.new["version"],
            "changes": [c.to_json() for c in self.changes],
            "backward": asdict(self.backward), "forward": asdict(self.forward),
        }  # fmt: skip


def compare(client: RegistryClient, subject: str, v1: str, v2: str) -> Comparison:
    """Versions ``v1`` and ``v2`` of ``subject`` (numbers or ``latest``) compared."""
    old, new = client.version(subject, v1), client.version(subject, v2)
    kind = str(new.get("schemaType", "AVRO"))
    changes = diff(json.loads(old["schema"]), json.loads(new["schema"]), kind)
    backward, forward = verdicts(old["schema"], new["schema"], kind)
    return Comparison(subject, old, new, changes, backward, forward)


def diff(old: Any, new: Any, schema_type: str = "AVRO") -> list[Change]:
    """Changes from ``old`` to ``new`` (parsed schema documents)."""
    changes: list[Change] = []
    if schema_type.upper() == "AVRO":
        _avro(old, new, "", changes, set())
    else:
        _json(old, new, "", changes)
    return changes


def verdicts(old: str, new: str, schema_type: str = "AVRO") -> tuple[Verdict, Verdict]:
    """(backward: can ``new`` read data written with ``old``; forward: the other way)."""
    try:
        before = canonical.parse(old, schema_type)
        after = canonical.parse(new, schema_type)
    except RegistryError as e:
        unknown = Verdict(None, [f"not checked: {e}"])
        return unknown, unknown
    results = []
    for level in (Level.BACKWARD, Level.FORWARD):
        reasons = compatibility.check(after, [(1, before)], level)
        results.append(Verdict(not reasons, [r.split(": ", 1)[-1] for r in reasons]))
    return results[0], results[1]


def type_key(node: Any) -> str:
    """How a type is told apart: a primitive or named type's name, else its kind."""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "union"
    if isinstance(node, dict):
        kind = node.get("type")
        if isinstance(kind, dict | list):
            return type_key(kind)
        if kind in NAMED:
            return str(node.get("name"))
        if isinstance(kind, str) and "logicalType" in node:
            return f"{kind}/{node['logicalType']}"
        return str(kind)
    return repr(node)


def _at(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


def _avro(old: Any, new: Any, path: str, out: list[Change], seen: set[str]) -> None:
    if isinstance(old, dict) and isinstance(old.get("type"), dict | list):
        old = old["type"]
    if isinstance(new, dict) and isinstance(new.get("type"), dict | list):
        new = new["type"]
    before, after = type_key(old), type_key(new)
    if isinstance(old, list) and isinstance(new, list):
        _union(old, new, path, out, seen)
        return
    if before != after:
        kind_old = old.get("type") if isinstance(old, dict) else None
        kind_new = new.get("type") if isinstance(new, dict) else None
        if kind_old == kind_new and isinstance(kind_old, str) and kind_old in NAMED:
            out.append(Change(path or "(root)", "renamed", before, after))
        else:
            out.append(Change(path or "(root)", "type changed", before, after))
            return
    if not isinstance(old, dict) or not isinstance(new, dict):
        return
    kind = old.get("type")
    if not isinstance(kind, str):
        return
    if kind in NAMED:
        if after in seen:
            return
        seen = seen | {after}
        _props(old, new, path, out, ("namespace", "doc", "aliases", "size", "default"))
    if kind == "record":
        _fields(old.get("fields", []), new.get("fields", []), path, out, seen)
    elif kind == "enum":
        _members(old.get("symbols", []), new.get("symbols", []), path, "enum symbol", out)
    elif kind == "array":
        _avro(old.get("items"), new.get("items"), f"{path}[]", out, seen)
    elif kind == "map":
        _avro(old.get("values"), new.get("values"), f"{path}{{}}", out, seen)


def _props(old: dict[str, Any], new: dict[str, Any], path: str, out: list[Change],
           keys: tuple[str, ...]) -> None:  # fmt: skip
    for key in keys:
        if old.get(key) != new.get(key):
            if key not in old:
                out.append(Change(path or "(root)", f"{key} added", None, new[key]))
            elif key not in new:
                out.append(Change(path or "(root)", f"{key} removed", old[key], None))
            else:
                out.append(Change(path or "(root)", f"{key} changed", old[key], new[key]))


def _fields(old: list[Any], new: list[Any], path: str, out: list[Change], seen: set[str]) -> None:
    before = {f["name"]: f for f in old if isinstance(f, dict) and "name" in f}
    after = {f["name"]: f for f in new if isinstance(f, dict) and "name" in f}
    renamed = {
        alias: name
        for name, f in after.items()
        if name not in before
        for alias in f.get("aliases", [])
        if alias in before and alias not in after
    }
    for name, field in before.items():
        if name not in after and name not in renamed:
            default = "with default" if "default" in field else "without default"
            out.append(Change(_at(path, name), f"field removed ({default})", type_key(field), None))
    for name, field in after.items():
        origin = next((o for o, n in renamed.items() if n == name), None)
        if name not in before and origin is None:
            default = "with default" if "default" in field else "without default"
            out.append(Change(_at(path, name), f"field added ({default})", None, type_key(field)))
            continue
        previous = before[origin or name]
        if origin is not None:
            out.append(Change(_at(path, name), "field renamed (alias)", origin, name))
        _props(previous, field, _at(path, name), out, ("default", "doc", "order"))
        _avro(previous, field, _at(path, name), out, seen)


def _union(old: list[Any], new: list[Any], path: str, out: list[Change], seen: set[str]) -> None:
    before = {type_key(b): b for b in old}
    after = {type_key(b): b for b in new}
    _members(list(before), list(after), path, "union branch", out)
    for key in before.keys() & after.keys():
        if key not in PRIMITIVES:
            _avro(before[key], after[key], _at(path, key), out, seen)


def _members(old: list[Any], new: list[Any], path: str, what: str, out: list[Change]) -> None:
    for item in new:
        if item not in old:
            out.append(Change(path or "(root)", f"{what} added", None, item))
    for item in old:
        if item not in new:
            out.append(Change(path or "(root)", f"{what} removed", item, None))


def _json(old: Any, new: Any, path: str, out: list[Change]) -> None:
    """JSON Schema: keyword by keyword, as JSON pointers."""
    where = path or "#"
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            part = f"{where}/{key}"
            if key not in new:
                out.append(Change(part, "removed", old[key], None))
            elif key not in old:
                out.append(Change(part, "added", None, new[key]))
            else:
                _json(old[key], new[key], part, out)
    elif old != new:
        out.append(Change(where, "changed", old, new))
