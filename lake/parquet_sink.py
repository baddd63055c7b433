"""Plain Parquet landing (`land --format parquet`): hive-partitioned files with deterministic
names, exactly once on a local file system, no catalog.

Layout under ``root`` (``<warehouse>/parquet/<table>``)::

    event_time_day=2026-12-01/region=eu/<topic>+<partition>+<first offset>.parquet
    _tide_offsets.json      the commit: the next offset of each partition, event times

A commit writes each file of the batch under a temporary name and renames it into place, then
replaces ``_tide_offsets.json`` (an atomic rename: the commit point). A file's name is its
topic, its Kafka partition and the offset that partition's batch started from, so landing the
same offsets again writes the same names: a re-run overwrites instead of duplicating. Files a
crashed run left behind (a batch whose offsets were never committed) are removed when the next
run starts. One land job writes a root at a time (an exclusive lock, held while it runs).
Read it with DuckDB: ``read_parquet('<root>/**/*.parquet', hive_partitioning = true,
union_by_name = true)``; writers' schemas may differ (missing fields read as null).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyiceberg.transforms import DayTransform

from lake.errors import LakeError, OffsetFencingError
from lake.tables import partition_fields

STATE = "_tide_offsets.json"
_NULL = "__HIVE_DEFAULT_PARTITION__"


class ParquetSinkError(LakeError):
    """The Parquet root cannot be written (taken by another job, or unreadable state)."""


class ParquetSink:
    """The landed files of ``topic`` under ``root``."""

    def __init__(self, root: Path, topic: str) -> None:
        self.root, self.topic = root, topic
        root.mkdir(parents=True, exist_ok=True)
        self._lock: IO[str] | None = (root / "_tide.lock").open("w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.close()
            raise ParquetSinkError(f"another land job writes {root}") from None
        self._state = self._read_state()
        self._remove_uncommitted()

    def committed(self) -> dict[int, int]:
        return {int(p): int(o) for p, o in self._state.get("offsets", {}).items()}

    def event_times(self) -> dict[int, int]:
        return {int(p): int(t) for p, t in self._state.get("event_times", {}).items()}

    def append(
        self,
        data: pa.Table,
        row_partitions: Sequence[int],
        firsts: Mapping[int, int],
        offsets: Mapping[int, int],
        expected: Mapping[int, int],
        event_times: Mapping[int, int],
    ) -> int:
        """Write ``data`` (row i from Kafka partition ``row_partitions[i]``, each partition's
        rows starting at offset ``firsts[p]``) and commit ``offsets``; the commit's number."""
        if self.committed() != dict(expected):
            raise OffsetFencingError(
                f"offsets of {self.topic} in {self.root} moved since they were read: expected "
                f"{dict(expected)}, found {self.committed()}"
            )
        for (partition, folder), rows in _groups(data, row_partitions).items():
            target = self.root / folder / f"{self.topic}+{partition}+{firsts[partition]}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.tmp")
            pq.write_table(data.take(pa.array(rows, pa.int64())), temporary)
            os.replace(temporary, target)
        commits = int(self._state.get("commits", 0)) + 1
        state = {"topic": self.topic, "commits": commits,
                 "offsets": {str(p): o for p, o in sorted({**expected, **offsets}.items())},
                 "event_times": {str(p): t for p, t in sorted(event_times.items())}}  # fmt: skip
        temporary = self.root / f".{STATE}.tmp"
        with temporary.open("w") as f:
            json.dump(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self.root / STATE)  # the commit point
        self._state = state
        return commits

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()  # releases the lock
            self._lock = None

    def _read_state(self) -> dict[str, Any]:
        path = self.root / STATE
        if not path.exists():
            return {}
        try:
            state: dict[str, Any] = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise ParquetSinkError(f"cannot read {path}: {e}") from e
        if state.get("topic") != self.topic:
            raise ParquetSinkError(
                f"{self.root} holds topic {state.get('topic')!r}, not {self.topic!r}: land into "
                "another table (--table NAME)"
            )
        return state

    def _remove_uncommitted(self) -> None:
        """Delete what a crashed run wrote past the committed offsets (and its temporaries)."""
        committed = self.committed()
        for path in self.root.rglob("*.parquet*"):
            if path.name.endswith(".tmp"):
                path.unlink(missing_ok=True)
                continue
            parts = path.stem.rsplit("+", 2)
            if len(parts) != 3 or parts[0] != self.topic:
                continue
            partition, first = int(parts[1]), int(parts[2])
            if first >= committed.get(partition, 0):  # a batch never committed
                path.unlink(missing_ok=True)


def _groups(data: pa.Table, row_partitions: Sequence[int]) -> dict[tuple[int, str], list[int]]:
    """Row indices by (Kafka partition, hive folder of the lake's partition fields)."""
    columns = []
    for source, transform, name in partition_fields(data.schema):
        column = data[source]
        if isinstance(transform, DayTransform):
            values = pc.strftime(column, format="%Y-%m-%d").to_pylist()
        else:
            values = [None if v is None else quote(str(v), safe="") for v in column.to_pylist()]
        columns.append((name, values))
    groups: dict[tuple[int, str], list[int]] = defaultdict(list)
    for i, partition in enumerate(row_partitions):
        folder = "/".join(
            f"{name}={_NULL if values[i] is None else values[i]}" for name, values in columns
        )
        groups[(partition, folder)].append(i)
    return groups
