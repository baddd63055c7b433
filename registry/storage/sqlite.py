"""SQLite store (WAL): the embedded default, survives restarts."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from registry import references as refs
from registry.errors import ImportConflictError, StoreError
from registry.ids import SchemaId, Subject
from registry.references import Reference
from registry.storage.base import (
    LIVE,
    NewVersion,
    SchemaStore,
    StoredSchema,
    SubjectVersion,
)

_DDL = """
CREATE TABLE IF NOT EXISTS schemas (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: ids are never reused
    schema_type TEXT NOT NULL,
    canonical TEXT NOT NULL,
    refs TEXT NOT NULL DEFAULT '[]',
    UNIQUE (canonical, refs)
);
CREATE TABLE IF NOT EXISTS versions (
    subject TEXT NOT NULL,
    version INTEGER NOT NULL,
    schema_id INTEGER NOT NULL REFERENCES schemas(id),
    state INTEGER NOT NULL DEFAULT 0,  -- 0 live, 1 soft-deleted, 2 deleted
    PRIMARY KEY (subject, version)
);
CREATE TABLE IF NOT EXISTS schema_refs (  -- who references which subject version
    schema_id INTEGER NOT NULL REFERENCES schemas(id),
    subject TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS schema_refs_target ON schema_refs (subject, version);
CREATE TABLE IF NOT EXISTS settings (
    kind TEXT NOT NULL,  -- compatibility or mode
    subject TEXT NOT NULL,  -- '' is the global setting
    value TEXT NOT NULL,
    PRIMARY KEY (kind, subject)
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
            self._migrate_schemas()
            if self._columns("versions"):
                self._migrate_versions()
            self._db.executescript(_DDL)
            self._migrate()
        except sqlite3.Error as e:
            raise StoreError(f"cannot open registry database {path}: {e}") from e

    def _columns(self, table: str) -> set[str]:
        return {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}

    def _migrate_schemas(self) -> None:
        """Before references, a schema's identity was its text alone: rebuild with ``refs``."""
        columns = self._columns("schemas")
        if not columns or "refs" in columns:
            return
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name='schemas'").fetchone()
        self._db.executescript(
            "BEGIN;"
            "CREATE TABLE schemas_v2 (id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " schema_type TEXT NOT NULL, canonical TEXT NOT NULL,"
            " refs TEXT NOT NULL DEFAULT '[]', UNIQUE (canonical, refs));"
            "INSERT INTO schemas_v2 (id, schema_type, canonical)"
            " SELECT id, schema_type, canonical FROM schemas;"
            "DROP TABLE schemas;"
            "ALTER TABLE schemas_v2 RENAME TO schemas;"
            "COMMIT;"
        )
        if row is not None:  # ids handed out before stay used
            self._db.execute(
                "UPDATE sqlite_sequence SET seq=MAX(seq, ?) WHERE name='schemas'", (row[0],)
            )

    def _migrate_versions(self) -> None:
        """Before, a schema had one version per subject, revived when registered again; now
        registering a deleted schema again appends a version (as Confluent does)."""
        indexes = self._db.execute("PRAGMA index_list(versions)").fetchall()
        if not any(row[2] and "autoindex" in row[1] and self._indexed(row[1]) for row in indexes):
            return
        if "state" not in self._columns("versions"):  # older still: every version live
            self._db.execute("ALTER TABLE versions ADD COLUMN state INTEGER NOT NULL DEFAULT 0")
        self._db.executescript(
            "BEGIN;"
            "CREATE TABLE versions_v2 (subject TEXT NOT NULL, version INTEGER NOT NULL,"
            " schema_id INTEGER NOT NULL REFERENCES schemas(id),"
            " state INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (subject, version));"
            "INSERT INTO versions_v2 (subject, version, schema_id, state)"
            " SELECT subject, version, schema_id, state FROM versions;"
            "DROP TABLE versions;"
            "ALTER TABLE versions_v2 RENAME TO versions;"
            "COMMIT;"
        )

    def _indexed(self, index: str) -> bool:
        """True when ``index`` covers (subject, schema_id): the old one-version-per-schema rule."""
        columns = [row[2] for row in self._db.execute(f"PRAGMA index_info('{index}')")]
        return columns == ["subject", "schema_id"]

    def _migrate(self) -> None:
        """Older databases: the ``config`` table."""
        if self._columns("config"):
            self._db.executescript(
                "BEGIN;"
                "INSERT OR IGNORE INTO settings (kind, subject, value)"
                " SELECT 'compatibility', subject, compatibility FROM config;"
                "DROP TABLE config;"
                "COMMIT;"
            )

    def register(self, new: NewVersion) -> SubjectVersion:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                found = self._find(new.subject, new.text, refs.key(new.references))
                if found is None or found.state != LIVE:  # deleted before: a new version
                    found = self._append(new)
                self._db.execute("COMMIT")
                return found
            except (sqlite3.Error, ImportConflictError) as e:
                self._db.execute("ROLLBACK")
                if isinstance(e, ImportConflictError):
                    raise
                raise StoreError(f"registering under {new.subject!r} failed: {e}") from e

    def _append(self, new: NewVersion) -> SubjectVersion:
        key = refs.key(new.references)
        row = self._db.execute(
            "SELECT id FROM schemas WHERE canonical=? AND refs=?", (new.text, key)
        ).fetchone()
        if row is not None and new.schema_id is not None and row[0] != new.schema_id:
            raise ImportConflictError(
                f"the schema is already registered with id {row[0]}, not {new.schema_id}"
            )
        schema_id = self._insert_schema(new, key) if row is None else SchemaId(int(row[0]))
        if new.version is None:
            (latest,) = self._db.execute(
                "SELECT COALESCE(MAX(version), 0) FROM versions WHERE subject=?", (new.subject,)
            ).fetchone()
            version = int(latest) + 1
        else:
            version = new.version
            taken = self._db.execute(
                "SELECT 1 FROM versions WHERE subject=? AND version=?", (new.subject, version)
            ).fetchone()
            if taken:
                raise ImportConflictError(
                    f"version {version} of subject '{new.subject}' holds another schema"
                )
        self._db.execute(
            "INSERT INTO versions (subject, version, schema_id) VALUES (?, ?, ?)",
            (new.subject, version, schema_id),
        )
        return SubjectVersion(new.subject, version, schema_id)

    def _insert_schema(self, new: NewVersion, key: str) -> SchemaId:
        if (
            new.schema_id is not None
            and self._db.execute("SELECT 1 FROM schemas WHERE id=?", (new.schema_id,)).fetchone()
        ):
            raise ImportConflictError(
                f"schema id {new.schema_id} is already taken by another schema"
            )
        cursor = self._db.execute(
            "INSERT INTO schemas (id, schema_type, canonical, refs) VALUES (?, ?, ?, ?)",
            (new.schema_id, new.schema_type, new.text, key),
        )
        schema_id = SchemaId(int(cursor.lastrowid or 0))
        self._db.executemany(
            "INSERT INTO schema_refs (schema_id, subject, version) VALUES (?, ?, ?)",
            [(schema_id, r.subject, r.version) for r in new.references],
        )
        return schema_id

    def schema(self, schema_id: SchemaId) -> StoredSchema | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, schema_type, canonical, refs FROM schemas WHERE id=?", (schema_id,)
            ).fetchone()
        if row is None:
            return None
        return StoredSchema(SchemaId(row[0]), row[1], row[2], refs.from_key(row[3]))

    def max_schema_id(self) -> SchemaId | None:
        with self._lock:
            (top,) = self._db.execute("SELECT MAX(id) FROM schemas").fetchone()
        return None if top is None else SchemaId(int(top))

    def find(
        self, subject: Subject, text: str, references: tuple[Reference, ...] = ()
    ) -> SubjectVersion | None:
        with self._lock:
            return self._find(subject, text, refs.key(references))

    def _find(self, subject: Subject, text: str, key: str) -> SubjectVersion | None:
        row = self._db.execute(
            "SELECT v.version, v.schema_id, v.state FROM versions v JOIN schemas s "
            "ON s.id = v.schema_id WHERE v.subject=? AND s.canonical=? AND s.refs=? "
            "ORDER BY v.state != 0, v.version DESC LIMIT 1",
            (subject, text, key),
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

    def referenced_by(self, subject: Subject, version: int) -> list[SchemaId]:
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT r.schema_id FROM schema_refs r JOIN versions v "
                "ON v.schema_id = r.schema_id AND v.state = 0 "
                "WHERE r.subject=? AND r.version=? ORDER BY r.schema_id",
                (subject, version),
            ).fetchall()
        return [SchemaId(int(r[0])) for r in rows]

    def setting(self, kind: str, subject: Subject | None) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM settings WHERE kind=? AND subject=?", (kind, subject or "")
            ).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, kind: str, subject: Subject | None, value: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO settings (kind, subject, value) VALUES (?, ?, ?) "
                "ON CONFLICT(kind, subject) DO UPDATE SET value=excluded.value",
                (kind, subject or "", value),
            )

    def delete_setting(self, kind: str, subject: Subject | None) -> None:
        with self._lock:
            self._db.execute(
                "DELETE FROM settings WHERE kind=? AND subject=?", (kind, subject or "")
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
