"""The registry core on a real SQLite store: identity of schemas, versions, restarts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry.errors import (
    IncompatibleSchemaError,
    InvalidCompatibilityLevelError,
    InvalidSchemaError,
    InvalidVersionError,
    SchemaNotFoundError,
    SubjectConfigNotFoundError,
    SubjectNotFoundError,
    VersionNotFoundError,
)
from registry.ids import Subject
from registry.service import Candidate, Registry
from registry.storage.sqlite import SqliteSchemaStore

A = json.dumps({"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"}]})
B = json.dumps({"type": "record", "name": "B", "fields": [{"name": "y", "type": "string"}]})
A2 = json.dumps(  # A plus a field with a default: a BACKWARD-compatible evolution
    {"type": "record", "name": "A",
     "fields": [{"name": "x", "type": "int"}, {"name": "z", "type": "long", "default": 0}]}
)  # fmt: skip
S, T = Subject("s-value"), Subject("t-value")


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    return Registry(SqliteSchemaStore(tmp_path / "r.sqlite"))


def test_same_schema_same_id_and_version(registry: Registry) -> None:
    first = registry.register(S, A)
    assert registry.register(S, A) == first
    spaced = json.dumps(json.loads(A), indent=4)[::1]  # other whitespace, same schema
    reordered = json.dumps(dict(reversed(list(json.loads(A).items()))))
    assert registry.register(S, spaced) == first
    assert registry.register(S, reordered) == first


def test_new_schema_new_id_and_version(registry: Registry) -> None:
    a = registry.register(S, A)
    b = registry.register(S, A2)
    assert b.schema_id > a.schema_id
    assert (a.version, b.version) == (1, 2)
    assert [v.version for v in registry.versions(S)] == [1, 2]
    assert registry.version(S, "latest").schema.id == b.schema_id
    assert registry.version(S, -1).version == 2


def test_same_schema_in_another_subject_keeps_its_id(registry: Registry) -> None:
    a = registry.register(S, A)
    other = registry.register(T, A)
    assert other.schema_id == a.schema_id
    assert other.version == 1
    assert registry.subjects() == [S, T]


def test_ids_survive_restart(tmp_path: Path) -> None:
    first = Registry(SqliteSchemaStore(tmp_path / "r.sqlite"))
    a = first.register(S, A)
    again = Registry(SqliteSchemaStore(tmp_path / "r.sqlite"))
    assert again.register(S, A) == a
    assert again.register(S, A2).schema_id == a.schema_id + 1
    assert json.loads(again.schema_by_id(a.schema_id).text) == json.loads(A)


def test_lookup(registry: Registry) -> None:
    registry.register(S, A)
    assert registry.lookup(S, A).version == 1
    with pytest.raises(SchemaNotFoundError):
        registry.lookup(S, B)
    with pytest.raises(SubjectNotFoundError):
        registry.lookup(T, A)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('{"type": "record", "name": "X", "fields": [{"name": "a", "type": "nope"}]}', "nope"),
        ("{not json", "invalid Avro schema"),
        ("", "Empty schema"),  # Confluent's words
    ],
)
def test_invalid_schema_is_refused_and_nothing_stored(
    registry: Registry, text: str, needle: str
) -> None:
    with pytest.raises(InvalidSchemaError, match=needle):
        registry.register(S, text)
    assert registry.subjects() == []


def test_unsupported_type_and_missing_reference(registry: Registry) -> None:
    with pytest.raises(InvalidSchemaError, match="unsupported schemaType 'XML'"):
        registry.register(S, Candidate(A, "XML"))
    with pytest.raises(InvalidSchemaError, match="Could not parse Protobuf"):  # Avro text
        registry.register(S, Candidate(A, "PROTOBUF"))
    missing = [{"name": "x", "subject": "y", "version": 1}]
    with pytest.raises(InvalidSchemaError, match="reference 'x': subject 'y' version 1"):
        registry.register(S, Candidate(A, None, missing))
    assert registry.subjects(deleted=True) == []


def test_versions_errors(registry: Registry) -> None:
    with pytest.raises(SubjectNotFoundError):
        registry.version(S, 1)
    registry.register(S, A)
    with pytest.raises(VersionNotFoundError):
        registry.version(S, 2)
    for bad in ("zero", "0", "-2"):
        with pytest.raises(InvalidVersionError):
            registry.version(S, bad)


def test_incompatible_version_is_refused_with_reasons_and_nothing_stored(
    registry: Registry,
) -> None:
    registry.register(S, A)
    with pytest.raises(IncompatibleSchemaError, match=r"/fields/0.*'BACKWARD'") as refused:
        registry.register(S, B)
    assert refused.value.reasons
    assert [v.version for v in registry.versions(S)] == [1]


def test_levels_per_subject_and_global(registry: Registry) -> None:
    assert registry.compatibility(S) == "BACKWARD"
    registry.policy.set_compatibility(None, "full")
    assert registry.compatibility(S) == "FULL"
    registry.policy.set_compatibility(S, "NONE")
    assert registry.compatibility(S) == "NONE"
    registry.register(S, A)
    registry.register(S, B)  # NONE: anything goes
    assert registry.policy.delete_compatibility(S) == "NONE"
    assert registry.compatibility(S) == "FULL"
    with pytest.raises(SubjectConfigNotFoundError):
        registry.compatibility(S, default_to_global=False)
    with pytest.raises(InvalidCompatibilityLevelError, match="SIDEWAYS"):
        registry.policy.set_compatibility(S, "SIDEWAYS")
