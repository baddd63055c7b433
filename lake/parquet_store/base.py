"""What the Parquet landing needs of the place its files live: write a file under its final
name, list and delete files, and read and replace the offsets file (the commit point) while
holding the root for one job. Implementations: ``local`` (a directory) and ``s3``."""

from __future__ import annotations

from abc import ABC, abstractmethod

import pyarrow as pa


class ParquetStore(ABC):
    """The files under one root; paths are relative to it, ``/``-separated."""

    uri: str  # the root, for messages

    @abstractmethod
    def acquire(self) -> None:
        """Hold the root for this job; ParquetSinkError if another job holds it."""

    @abstractmethod
    def read_state(self) -> bytes | None:
        """The offsets file's bytes (None if there is none yet)."""

    @abstractmethod
    def claim(self, state: bytes) -> None:
        """Fence out every earlier writer's next commit (rewriting ``state``, the bytes just
        read, or what to start from) where holding the root alone does not."""

    @abstractmethod
    def check(self) -> None:
        """LeaseLostError if this job no longer holds the root."""

    @abstractmethod
    def write_table(self, path: str, table: pa.Table) -> int:
        """Write ``table`` as the Parquet file ``path``, replacing any file of that name whole;
        the file's size in bytes."""

    @abstractmethod
    def files(self) -> list[str]:
        """Every file under the root (the sink tells the data files by their names)."""

    @abstractmethod
    def delete(self, path: str) -> None:
        """Remove ``path`` (nothing if it is gone already)."""

    @abstractmethod
    def commit(self, state: bytes) -> None:
        """Replace the offsets file with ``state``: the commit point. OffsetFencingError if it
        changed since this job read or last wrote it."""

    @abstractmethod
    def close(self) -> None:
        """Let the root go."""
