"""A registry database written before references and modes opens with everything kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from registry.ids import SchemaId, Subject
from registry.service import Registry
from registry.storage.base import SubjectVersion
from registry.storage.sqlite import SqliteSchemaStore

_OLD = """
CREATE TABLE schemas (id INTEGER PRIMARY KEY AUTOINCREMENT, schema_type TEXT NOT NULL,
                      canonical TEXT NOT NULL UNIQUE);
CREATE TABLE versions (subject TEXT NOT NULL, version INTEGER NOT NULL,
                       schema_id INTEGER NOT NULL, PRIMARY KEY (subject, version),
                       UNIQUE (subject, schema_id));
CREATE TABLE config (subject TEXT PRIMARY KEY, compatibility TEXT NOT NULL);
INSERT INTO schemas (schema_type, canonical) VALUES ('AVRO', '"int"'), ('AVRO', '"long"'),
                                                    ('AVRO', '"string"');
DELETE FROM schemas WHERE id = 3;
INSERT INTO versions VALUES ('s', 1, 1), ('s', 2, 2);
INSERT INTO config VALUES ('', 'FULL'), ('s', 'NONE');
"""


def test_old_database_keeps_versions_settings_and_spent_ids(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(_OLD)
    db.close()
    registry = Registry(SqliteSchemaStore(path))
    s = Subject("s")
    assert [(v.version, v.schema_id) for v in registry.versions(s)] == [(1, 1), (2, 2)]
    assert (registry.compatibility(s), registry.compatibility(None)) == ("NONE", "FULL")
    assert registry.register(Subject("t"), '"boolean"').schema_id == 4  # 3 was handed out
    assert registry.lookup(s, '"long"').version == 2
    registry.delete_version(s, 2)
    assert registry.register(s, '"long"') == SubjectVersion(s, 3, SchemaId(2))  # a new number
    assert [v.version for v in registry.versions(s, deleted=True)] == [1, 2, 3]
