"""A Parquet root in a local directory: files and the offsets file are written under a
temporary name, synced and renamed into place (atomic); one job at a time holds an exclusive
``flock`` on ``_tide.lock``, which the kernel releases when the job dies."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.parquet as pq

from lake.parquet_store.base import ParquetStore
from lake.parquet_store.errors import ParquetSinkError

STATE = "_tide_offsets.json"


class LocalStore(ParquetStore):
    """The directory ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.uri = str(root)
        self._lock: IO[str] | None = None

    def acquire(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = (self.root / "_tide.lock").open("w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.close()
            raise ParquetSinkError(f"another land job writes {self.root}") from None

    def read_state(self) -> bytes | None:
        path = self.root / STATE
        try:
            return path.read_bytes() if path.exists() else None
        except OSError as e:
            raise ParquetSinkError(f"cannot read {path}: {e}") from e

    def claim(self, state: bytes) -> None:
        """Nothing to do: the lock keeps every other job out for as long as this one lives."""

    def check(self) -> None:
        """The lock cannot be lost while the job runs."""

    def write_table(self, path: str, table: pa.Table) -> int:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp")
        pq.write_table(table, temporary)
        size = temporary.stat().st_size
        os.replace(temporary, target)
        return size

    def files(self) -> list[str]:
        return [p.relative_to(self.root).as_posix() for p in self.root.rglob("*.parquet*")]

    def delete(self, path: str) -> None:
        (self.root / path).unlink(missing_ok=True)

    def commit(self, state: bytes) -> None:
        temporary = self.root / f".{STATE}.tmp"
        with temporary.open("wb") as f:
            f.write(state)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self.root / STATE)  # the commit point

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()  # releases the lock
            self._lock = None
