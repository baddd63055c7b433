"""Schema references: a schema may use named types registered under other subjects."""

from __future__ import annotations

import json
from dataclasses import dataclass

from registry.errors import InvalidSchemaError
from registry.ids import Subject


@dataclass(frozen=True)
class Reference:
    """``name`` (an Avro full name, a Protobuf import path) is defined by ``version`` of
    ``subject``."""

    name: str
    subject: Subject
    version: int

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "subject": self.subject, "version": self.version}


@dataclass(frozen=True)
class Dependency:
    """A referenced schema as a parser needs it: the reference's name and the schema text."""

    name: str
    text: str


def parse(raw: object) -> tuple[Reference, ...]:
    """The ``references`` array of a request; ``version`` -1 (latest) is resolved later."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InvalidSchemaError("'references' must be an array of {name, subject, version}")
    found: list[Reference] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise InvalidSchemaError(f"references[{i}] must be an object")
        name, subject, version = item.get("name"), item.get("subject"), item.get("version")
        if not isinstance(name, str) or not name:
            raise InvalidSchemaError(f"references[{i}].name must be a non-empty string")
        if not isinstance(subject, str) or not subject:
            raise InvalidSchemaError(f"references[{i}].subject must be a non-empty string")
        if isinstance(version, bool) or not isinstance(version, int):
            raise InvalidSchemaError(f"references[{i}].version must be an integer")
        found.append(Reference(name, Subject(subject), version))
    return tuple(found)


def key(references: tuple[Reference, ...]) -> str:
    """A stable text form: part of a schema's identity (same text, other references: new id)."""
    return json.dumps([r.to_json() for r in references], separators=(",", ":"))


def from_key(text: str) -> tuple[Reference, ...]:
    return tuple(
        Reference(r["name"], Subject(r["subject"]), int(r["version"])) for r in json.loads(text)
    )
