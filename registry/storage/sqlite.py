"""SQLite store (WAL): the embedded default, survives restarts."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from registry.errors import StoreError
from registry.ids import SchemaId, Subject
from registry.storage.base import SchemaStore, StoredSchema, SubjectVersion

_DDL = """
CREATE TABLE IF NOT EXISTS schemas (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: ids are never reused
    schema_type TEXT NOT NULL,
    canonical TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS versions (
    subject TEXT NOT NULL,
    version INTEGER NOT NULL,
    schema_id INTEGER NOT NULL REFERENCES schemas(id),
    PRIMARY KEY (subject, version),
    UNIQUE (subject, schema_id)
);
CREATE TABLE IF NOT EXISTS config (
    subject TEXT PRIMARY KEY,  -- '' is the global setting
    compatibility TEXT NOT NULL
);
"""


class SqliteSchemaStore(SchemaStore):
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_DDL)
        except sqlite3.Error as e:
            raise StoreError(f"cannot open registry database {path}: {e}") from e

    def register(self, subject: Subject, schema_type: str, text: str) -> SubjectVersion:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                found = self._find(subject, text)
                if found is None:
                    found = self._append(subject, schema_type, text)
                self._db.execute("COMMIT")
                return found
            except sqlite3.Error as e:
                self._db.execute("ROLLBACK")
                raise StoreError(f"registering under {subject!r} failed: {e}") from e

    def _append(self, subject: Subject, schema_type: str, text: str) -> SubjectVersion:
        row = self._db.execute("SELECT id FROM schemas WHERE canonical=?", (text,)).fetchone()
        if row is None:
            cursor = self._db.execute(
                "INSERT INTO schemas (schema_type, canonical) VALUES (?, ?)", (schema_type, text)
            )
            schema_id = SchemaId(int(cursor.lastrowid or 0))
        else:
            schema_id = SchemaId(int(row[0]))
        (latest,) = self._db.execute(
            "SELECT COALESCE(MAX(version), 0) FROM versions WHERE subject=?", (subject,)
        ).fetchone()
        version = int(latest) + 1
        self._db.execute(
            "INSERT INTO versions (subject, version, schema_id) VALUES (?, ?, ?)",
            (subject, version, schema_id),
        )
        return SubjectVersion(subject, version, schema_id)

    def schema(self, schema_id: SchemaId) -> StoredSchema | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, schema_type, canonical FROM schemas WHERE id=?", (schema_id,)
            ).fetchone()
        return None if row is None else StoredSchema(SchemaId(row[0]), row[1], row[2])

    def find(self, subject: Subject, text: str) -> SubjectVersion | None:
        with self._lock:
            return self._find(subject, text)

    def _find(self, subject: Subject, text: str) -> SubjectVersion | None:
        row = self._db.execute(
            "SELECT v.version, v.schema_id FROM versions v JOIN schemas s ON s.id = v.schema_id "
            "WHERE v.subject=? AND s.canonical=?",
            (subject, text),
        ).fetchone()
        return None if row is None else SubjectVersion(subject, int(row[0]), SchemaId(row[1]))

    def versions(self, subject: Subject) -> list[SubjectVersion]:
        with self._lock:
            rows = self._db.execute(
                "SELECT version, schema_id FROM versions WHERE subject=? ORDER BY version",
                (subject,),
            ).fetchall()
        return [SubjectVersion(subject, int(v), SchemaId(i)) for v, i in rows]

    def subjects(self) -> list[Subject]:
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT subject FROM versions ORDER BY subject")
            return [Subject(r[0]) for r in rows.fetchall()]

    def config(self, subject: Subject | None) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT compatibility FROM config WHERE subject=?", (subject or "",)
            ).fetchone()
        return None if row is None else str(row[0])

    def set_config(self, subject: Subject | None, level: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO config (subject, compatibility) VALUES (?, ?) "
                "ON CONFLICT(subject) DO UPDATE SET compatibility=excluded.compatibility",
                (subject or "", level),
            )

    def delete_config(self, subject: Subject | None) -> None:
        with self._lock:
            self._db.execute("DELETE FROM config WHERE subject=?", (subject or "",))

    def close(self) -> None:
        with self._lock:
            self._db.close()
