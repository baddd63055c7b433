"""The durable outbox: events kept on local disk (SQLite, WAL, synchronous=FULL) until replayed.

Entries replay in ``ord`` order: the order the publisher *sent* them, which is not always the
order they were added. An event handed to the broker that fails only after its delivery
timeout arrives here after later events of its key that an open circuit already queued; its
send order puts it back in front of them. One key's events keep their order as long as a key
with pending entries sends its new events here too (``keys_pending``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from producers.outbox import codec
from producers.outbox.errors import OutboxError

_DDL = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    key TEXT NOT NULL,
    event TEXT NOT NULL,
    headers TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    ord INTEGER
)
"""
_ORD_INDEX = "CREATE INDEX IF NOT EXISTS outbox_ord ON outbox (ord, seq)"


@dataclass(frozen=True)
class OutboxEntry:
    seq: int
    topic: str
    key: str
    event: dict[str, Any]
    headers: dict[str, bytes]
    attempts: int


class Outbox:
    """An ``add`` that returned is on disk: it survives a kill -9 of the process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.execute(_DDL)
            _add_send_order(self._db)
        except (OSError, sqlite3.Error) as e:
            raise OutboxError(f"cannot open the outbox {path}: {e}") from e

    def add(
        self, topic: str, key: str, event: dict[str, Any], headers: dict[str, bytes] | None = None
    ) -> int:
        return self.add_many([(topic, key, event, headers)])[0]

    def last_order(self) -> int:
        """The highest send order in use: a publisher numbers its sends after it."""
        with self._lock:
            return self._top_order()

    def _top_order(self) -> int:
        (top,) = self._db.execute("SELECT max(ord) FROM outbox").fetchone()
        return int(top or 0)

    def add_many(
        self,
        items: Iterable[tuple[str, str, dict[str, Any], dict[str, bytes] | None]],
        orders: Iterable[int] | None = None,
    ) -> list[int]:
        """Add several entries in one transaction; returns their seqs in order.

        ``orders`` are their send orders (by default: after every entry already here).
        """
        now = time.time()
        rows = [
            (topic, key, codec.dumps(event), _headers_out(headers), now)
            for topic, key, event, headers in items
        ]
        given = list(orders) if orders is not None else None
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                if given is None:
                    top = self._top_order()
                    given = list(range(top + 1, top + 1 + len(rows)))
                seqs = [
                    int(self._db.execute(
                        "INSERT INTO outbox (topic, key, event, headers, created_at, ord) "
                        "VALUES (?, ?, ?, ?, ?, ?)", (*row, order),
                    ).lastrowid or 0)
                    for row, order in zip(rows, given, strict=True)
                ]  # fmt: skip
                self._db.execute("COMMIT")
            except sqlite3.Error as e:
                self._db.execute("ROLLBACK")
                raise OutboxError(f"cannot write the outbox {self.path}: {e}") from e
        return seqs

    def pending(self, limit: int) -> list[OutboxEntry]:
        """The first ``limit`` entries, in the order they were sent."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, topic, key, event, headers, attempts FROM outbox "
                "ORDER BY ord, seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            OutboxEntry(seq, topic, key, codec.loads(event), _headers_in(headers), attempts)
            for seq, topic, key, event, headers, attempts in rows
        ]

    def ack(self, seqs: Iterable[int]) -> None:
        self._many("DELETE FROM outbox WHERE seq = ?", seqs)

    def mark_attempt(self, seqs: Iterable[int]) -> None:
        self._many("UPDATE outbox SET attempts = attempts + 1 WHERE seq = ?", seqs)

    def keys_pending(self) -> set[tuple[str, str]]:
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT topic, key FROM outbox").fetchall()
        return {(topic, key) for topic, key in rows}

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT count(*) FROM outbox").fetchone()
        return int(count)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _many(self, sql: str, seqs: Iterable[int]) -> None:
        params = [(seq,) for seq in seqs]
        if not params:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(sql, params)
            self._db.execute("COMMIT")


def _add_send_order(db: sqlite3.Connection) -> None:
    """Outboxes written before entries had a send order replay in the order they were added."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(outbox)")}
    if "ord" not in columns:
        db.execute("ALTER TABLE outbox ADD COLUMN ord INTEGER")
    db.execute("UPDATE outbox SET ord = seq WHERE ord IS NULL")
    db.execute(_ORD_INDEX)


def _headers_out(headers: dict[str, bytes] | None) -> str:
    return json.dumps({k: v.decode("latin-1") for k, v in (headers or {}).items()})


def _headers_in(text: str) -> dict[str, bytes]:
    return {k: v.encode("latin-1") for k, v in json.loads(text).items()}
