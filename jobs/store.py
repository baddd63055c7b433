"""The job log: every submitted job, its arguments, state and result, in SQLite."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobs.errors import UnknownJobError
from jobs.liveness import Runner, is_gone, this_process

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    args TEXT NOT NULL,
    state TEXT NOT NULL,
    submitted_at REAL NOT NULL,
    finished_at REAL,
    result TEXT,
    error TEXT,
    pid INTEGER,
    host TEXT,
    started TEXT
)
"""
# Added later (a log written before gets them): the process running a job (jobs.liveness), and
# when a cancel was asked for; NULL in rows written before.
_RUNNER_COLUMNS = {"pid": "INTEGER", "host": "TEXT", "started": "TEXT",
                   "cancel_requested": "REAL"}  # fmt: skip
ACTIVE = ("QUEUED", "RUNNING")  # the states a job can still leave
_BUSY_TIMEOUT_S = 30.0  # how long a job or a reader waits for the log's lock


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
    pid: int | None = None
    host: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


class JobStore:
    """States: QUEUED (submitted with --detach, its process not started yet), RUNNING,
    SUCCEEDED, FAILED, CANCELLED, and LOST: a job whose process ended without recording an
    outcome (killed with -9, the machine went down). Reading the log (``get``, ``list``) marks a
    QUEUED or RUNNING job of this host whose process is gone as LOST."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, timeout=_BUSY_TIMEOUT_S)
        deadline = time.monotonic() + _BUSY_TIMEOUT_S
        while True:  # a job and a reader opening a new log at once: one waits, neither fails
            try:
                self._prepare()
                return
            except sqlite3.OperationalError as e:
                # SQLite answers "locked" at once, without waiting, where two connections would
                # deadlock upgrading their locks (the rollback journal before WAL is on).
                if "locked" not in str(e) or time.monotonic() > deadline:
                    self._db.close()
                    raise
                time.sleep(0.01)  # retrying a lock SQLite refused to wait for; not a sync

    def _prepare(self) -> None:
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        have = {row[1] for row in self._db.execute("PRAGMA table_info(jobs)")}
        for column, kind in _RUNNER_COLUMNS.items():
            if column not in have:
                try:
                    self._db.execute(f"ALTER TABLE jobs ADD COLUMN {column} {kind}")
                except sqlite3.OperationalError as e:  # added concurrently by another process
                    if "duplicate column" not in str(e):
                        raise

    def start(self, kind: str, args: dict[str, Any]) -> int:
        """Record a job this process runs now: RUNNING, with its process, in one statement (a
        reader never sees it QUEUED without a process)."""
        me = this_process()
        cursor = self._db.execute(
            "INSERT INTO jobs (kind, args, state, submitted_at, pid, host, started) "
            "VALUES (?, ?, 'RUNNING', ?, ?, ?, ?)",
            (kind, json.dumps(args), time.time(), me.pid, me.host, me.started),
        )
        return int(cursor.lastrowid or 0)

    def queue(self, kind: str, args: dict[str, Any]) -> int:
        """Record a job another process will run (``claim`` it there)."""
        cursor = self._db.execute(
            "INSERT INTO jobs (kind, args, state, submitted_at) VALUES (?, ?, 'QUEUED', ?)",
            (kind, json.dumps(args), time.time()),
        )
        return int(cursor.lastrowid or 0)

    def assign(self, job_id: int, runner: Runner) -> None:
        """Name the process that will run a queued job (so its death before it starts is seen)."""
        self._db.execute(
            "UPDATE jobs SET pid=?, host=?, started=? WHERE id=?",
            (runner.pid, runner.host, runner.started, job_id),
        )

    def claim(self, job_id: int) -> None:
        """This process runs job ``job_id`` now."""
        me = this_process()
        self._db.execute(
            "UPDATE jobs SET state='RUNNING', pid=?, host=?, started=? WHERE id=? "
            "AND state IN ('QUEUED', 'RUNNING')",
            (me.pid, me.host, me.started, job_id),
        )

    def finish(self, job_id: int, result: dict[str, Any]) -> None:
        """Record the job's result: SUCCEEDED, or CANCELLED if a cancel was asked for (a
        cancelled continuous land still commits what it read, and says so here)."""
        self._db.execute(
            "UPDATE jobs SET state=CASE WHEN cancel_requested IS NULL THEN 'SUCCEEDED' "
            "ELSE 'CANCELLED' END, finished_at=?, result=? WHERE id=?",
            (time.time(), json.dumps(result), job_id),
        )

    def request_cancel(self, job_id: int) -> None:
        self._db.execute(
            "UPDATE jobs SET cancel_requested=? WHERE id=? AND cancel_requested IS NULL",
            (time.time(), job_id),
        )

    def cancel_requested(self, job_id: int) -> bool:
        row = self._db.execute("SELECT cancel_requested FROM jobs WHERE id=?", (job_id,))
        return (row.fetchone() or (None,))[0] is not None

    def cancelled(self, job_id: int, reason: str) -> None:
        self._db.execute(
            "UPDATE jobs SET state='CANCELLED', finished_at=?, error=? WHERE id=?",
            (time.time(), reason, job_id),
        )

    def fail(self, job_id: int, error: str) -> None:
        self._db.execute(
            "UPDATE jobs SET state='FAILED', finished_at=?, error=? WHERE id=?",
            (time.time(), error, job_id),
        )

    def mark_lost(self) -> None:
        """Mark QUEUED or RUNNING jobs whose process is gone as LOST, or CANCELLED if a cancel
        was asked for (only if still so: a job that finishes meanwhile keeps its outcome)."""
        running = self._db.execute(
            "SELECT id, pid, host, started FROM jobs WHERE state IN ('QUEUED', 'RUNNING') "
            "AND pid IS NOT NULL"
        ).fetchall()
        for job_id, pid, host, started in running:
            if is_gone(Runner(pid, host, started)):
                self._db.execute(
                    "UPDATE jobs SET state=CASE WHEN cancel_requested IS NULL THEN 'LOST' "
                    "ELSE 'CANCELLED' END, error=CASE WHEN cancel_requested IS NULL THEN ? "
                    "ELSE 'cancelled: its process ended on SIGTERM' END "
                    "WHERE id=? AND state IN ('QUEUED', 'RUNNING')",
                    (f"lost: its process {pid} on {host} ended without recording an outcome "
                     "(killed?)", job_id),
                )  # fmt: skip

    def get(self, job_id: int) -> JobRecord:
        self.mark_lost()
        row = self._db.execute(
            "SELECT id, kind, args, state, submitted_at, finished_at, result, error, pid, host "
            "FROM jobs WHERE id=?",
            (job_id,),
        ).fetchone()
        if row is None:
            raise UnknownJobError(f"no job with id {job_id}")
        return _record(row)

    def list(self, limit: int = 50) -> list[JobRecord]:
        self.mark_lost()
        rows = self._db.execute(
            "SELECT id, kind, args, state, submitted_at, finished_at, result, error, pid, host "
            "FROM jobs ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [_record(row) for row in rows]

    def close(self) -> None:
        self._db.close()


def _record(row: tuple[Any, ...]) -> JobRecord:
    job_id, kind, args, state, submitted, finished, result, error, pid, host = row
    return JobRecord(
        job_id,
        kind,
        json.loads(args),
        state,
        submitted,
        finished,
        json.loads(result) if result else None,
        error,
        pid,
        host,
    )
