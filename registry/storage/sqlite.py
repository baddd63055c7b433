"""SQLite store (WAL): the embedded default, survives restarts."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from registry.errors import StoreError
from registry.ids import SchemaId, Subject
from registry.storage.base import LIVE, SchemaStore, StoredSchema, SubjectVersion

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
    state INTEGER NOT NULL DEFAULT 0,  -- 0 live, 1 soft-deleted, 2 deleted
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
            self._migrate()
        except sqlite3.Error as e:
            raise StoreError(f"cannot open registry database {path}: {e}") from e

    def _migrate(self) -> None:
        """Databases written before versions had a state get the column (all live)."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(versions)")}
        if "state" not in columns:
            self._db.execute("ALTER TABLE versions ADD COLUMN state INTEGER NOT NULL DEFAULT 0")

    def register(self, subject: Subject, schema_type: str, text: str) -> SubjectVersion:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                found = self._find(subject, text)
                if found is not None and found.state != LIVE:  # registered again: revive it
                    self._db.execute(
                        "UPDATE versions SET state=0 WHERE subject=? AND version=?",
                        (subject, found.version),
                    )
                    found = SubjectVersion(subject, found.version, found.schema_id)
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
            "SELECT v.version, v.schema_id, v.state FROM versions v "
            "JOIN schemas s ON s.id = v.schema_id WHERE v.subject=? AND s.canonical=?",
            (subject, text),
        ).fetchone()
        if row is None:
            return None
        return SubjectVersion(subject, int(row[0]), SchemaId(row[1]), int(row[2]))

    def versions(self, subject: Subject, max_state: int = LIVE) -> list[SubjectVersion]:
        with self._lock:
            rows = self._db.execute(
                "SELECT version, schema_id, state FROM versions WHERE subject=? AND state<=? "
                "ORDER BY version",
                (subject, max_state),
            ).fetchall()
        return [SubjectVersion(subject, int(v), SchemaId(i), int(s)) for v, i, s in rows]

    def subjects(self, max_state: int = LIVE) -> list[Subject]:
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT subject FROM versions WHERE state<=? ORDER BY subject",
                (max_state,),
            )
            return [Subject(r[0]) for r in rows.fetchall()]

    def set_state(self, subject: Subject, versions: list[int], state: int) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "UPDATE versions SET state=? WHERE subject=? AND version=?",
                [(state, subject, v) for v in versions],
            )
            self._db.execute("COMMIT")

    def usages(self, schema_id: SchemaId) -> list[SubjectVersion]:
        with self._lock:
            rows = self._db.execute(
                "SELECT subject, version FROM versions WHERE schema_id=? AND state=0 "
                "ORDER BY subject, version",
                (schema_id,),
            ).fetchall()
        return [SubjectVersion(Subject(s), int(v), schema_id) for s, v in rows]

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
