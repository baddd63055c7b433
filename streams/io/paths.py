"""Field paths of a job, turned into DuckDB expressions over a record decoded by ``read_avro``.

``payload.OrderPaid.amount_cents``: ``payload`` is a field; ``OrderPaid`` names a branch of the
union it holds (DuckDB calls the branches ``u<position>``), so the expression is null for events
of another branch; ``amount_cents`` is a field of that branch. A ``["null", T]`` union is a
nullable ``T`` and needs no segment of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streams.errors import FieldPathError


@dataclass(frozen=True)
class Resolved:
    sql: str
    avro: Any  # the Avro type the path ends at


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _unwrap_nullable(avro: Any) -> Any:
    if isinstance(avro, list):
        rest = [b for b in avro if b != "null"]
        if len(rest) == 1:
            return rest[0]
    return avro


def resolve(schema: dict[str, Any], path: str) -> Resolved:
    """The DuckDB expression of ``path`` in records of the writer ``schema``."""
    segments = path.split(".")
    first = _field(schema, segments[0], path)
    sql, avro = _quote(segments[0]), _unwrap_nullable(first)
    for segment in segments[1:]:
        if isinstance(avro, list):
            position, branch = _branch(avro, segment, path)
            sql, avro = f"union_extract({sql}, 'u{position}')", branch
        elif isinstance(avro, dict) and avro.get("type") == "record":
            sql, avro = f"({sql}).{_quote(segment)}", _unwrap_nullable(_field(avro, segment, path))
        else:
            raise FieldPathError(f"{path}: {segment!r} follows a value that has no fields")
    return Resolved(sql, avro)


def _field(record: dict[str, Any], name: str, path: str) -> Any:
    for f in record.get("fields", []):
        if f["name"] == name:
            return f["type"]
    known = ", ".join(f["name"] for f in record.get("fields", []))
    raise FieldPathError(f"{path}: no field {name!r} in {record.get('name')} (fields: {known})")


def _branch(union: list[Any], name: str, path: str) -> tuple[int, Any]:
    for position, branch in enumerate(union):
        if isinstance(branch, dict) and _short(str(branch.get("name", ""))) == name:
            return position, branch
    names = [_short(str(b.get("name"))) for b in union if isinstance(b, dict) and "name" in b]
    raise FieldPathError(f"{path}: no branch {name!r} in the union (branches: {names})")


def is_timestamp(avro: Any) -> bool:
    return isinstance(avro, dict) and str(avro.get("logicalType", "")).startswith("timestamp")
