"""The job log: every submitted job, its arguments, state and result, in SQLite."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobs.errors import UnknownJobError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    args TEXT NOT NULL,
    state TEXT NOT NULL,
    submitted_at REAL NOT NULL,
    finished_at REAL,
    result TEXT,
    error TEXT
)
"""


@dataclass(frozen=True)
class JobRecord:
    id: int
    kind: str
    args: dict[str, Any]
    state: str
    submitted_at: float
    finished_at: float | None
    result: dict[str, Any] | None
    error: str | None

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


class JobStore:
    """States: RUNNING, SUCCEEDED, FAILED. A job killed mid-run stays RUNNING in the log."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)

    def start(self, kind: str, args: dict[str, Any]) -> int:
        cursor = self._db.execute(
            "INSERT INTO jobs (kind, args, state, submitted_at) VALUES (?, ?, 'RUNNING', ?)",
            (kind, json.dumps(args), time.time()),
        )
        return int(cursor.lastrowid or 0)

    def finish(self, job_id: int, result: dict[str, Any]) -> None:
        self._db.execute(
            "UPDATE jobs SET state='SUCCEEDED', finished_at=?, result=? WHERE id=?",
            (time.time(), json.dumps(result), job_id),
        )

    def fail(self, job_id: int, error: str) -> None:
        self._db.execute(
            "UPDATE jobs SET state='FAILED', finished_at=?, error=? WHERE id=?",
            (time.time(), error, job_id),
        )

    def get(self, job_id: int) -> JobRecord:
        row = self._db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        if row is None:
            raise UnknownJobError(f"no job with id {job_id}")
        return _record(row)

    def list(self, limit: int = 50) -> list[JobRecord]:
        rows = self._db.execute("SELECT * FROM jobs ORDER BY id DESC LIMIT ?", (limit,))
        return [_record(row) for row in rows]

    def close(self) -> None:
        self._db.close()


def _record(row: tuple[Any, ...]) -> JobRecord:
    job_id, kind, args, state, submitted, finished, result, error = row
    return JobRecord(
        job_id,
        kind,
        json.loads(args),
        state,
        submitted,
        finished,
        json.loads(result) if result else None,
        error,
    )
