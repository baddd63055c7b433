"""Plain Parquet landing (`land --format parquet`): hive-partitioned files with deterministic
names, exactly once, no catalog, on a local directory or an S3 prefix (``lake.parquet_store``).

Layout under the root (``<warehouse>/parquet/<table>``)::

    event_time_day=2026-12-01/region=eu/<topic>+<partition>+<first offset>.parquet
    _tide_offsets.json      the commit: the next offset of each partition, event times

A commit writes each file of the batch whole under its final name, then replaces
``_tide_offsets.json`` (the commit point). A file's name is its topic, its Kafka partition and
the offset that partition's batch started from, so landing the same offsets again writes the
same names: a re-run overwrites instead of duplicating. Files a crashed run left behind (a
batch whose offsets were never committed) are removed when the next run starts. One land job
writes a root at a time (a lock, or on S3 a lease, held while it runs). Read it with DuckDB:
``read_parquet('<root>/**/*.parquet', hive_partitioning = true, union_by_name = true)``;
writers' schemas may differ (missing fields read as null).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.transforms import DayTransform

from lake.errors import OffsetFencingError
from lake.parquet_store.base import ParquetStore
from lake.parquet_store.errors import ParquetSinkError
from lake.parquet_store.local import STATE, LocalStore
from lake.parquet_store.s3 import S3Root, S3Store
from lake.tables import partition_fields

_NULL = "__HIVE_DEFAULT_PARTITION__"


class ParquetSink:
    """The landed files of ``topic`` under ``root`` (a local directory, or an S3 prefix)."""

    def __init__(self, root: Path | S3Root, topic: str) -> None:
        self.root, self.topic = root, topic
        self._store: ParquetStore = LocalStore(root) if isinstance(root, Path) else S3Store(root)
        self._writer = uuid.uuid4().hex  # in every state it writes: no two writes are alike
        self.last_bytes = 0  # the bytes of the data files the last append wrote
        self._store.acquire()
        try:
            self._state = self._read_state()
            self._store.claim(self._encode(self._state))
            self._remove_uncommitted()
        except BaseException:
            self._store.close()
            raise

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
                f"offsets of {self.topic} in {self._store.uri} moved since they were read: "
                f"expected {dict(expected)}, found {self.committed()}"
            )
        written = 0
        for (partition, folder), rows in _groups(data, row_partitions).items():
            self._store.check()  # what it writes next is still its own to write
            name = f"{self.topic}+{partition}+{firsts[partition]}.parquet"
            path = f"{folder}/{name}" if folder else name
            written += self._store.write_table(path, data.take(pa.array(rows, pa.int64())))
        commits = int(self._state.get("commits", 0)) + 1
        state = {"topic": self.topic, "commits": commits,
                 "offsets": {str(p): o for p, o in sorted({**expected, **offsets}.items())},
                 "event_times": {str(p): t for p, t in sorted(event_times.items())}}  # fmt: skip
        self._store.commit(self._encode(state))  # the commit point
        self._state = state
        self.last_bytes = written
        return commits

    def close(self) -> None:
        self._store.close()

    def _encode(self, state: Mapping[str, Any]) -> bytes:
        return json.dumps({"topic": self.topic, **state, "writer": self._writer}).encode()

    def _read_state(self) -> dict[str, Any]:
        raw = self._store.read_state()
        if raw is None:
            return {}
        try:
            state: dict[str, Any] = json.loads(raw)
        except ValueError as e:
            raise ParquetSinkError(f"cannot read {self._store.uri}/{STATE}: {e}") from e
        if state.get("topic") != self.topic:
            raise ParquetSinkError(
                f"{self._store.uri} holds topic {state.get('topic')!r}, not {self.topic!r}: land "
                "into another table (--table NAME)"
            )
        return state

    def _remove_uncommitted(self) -> None:
        """Delete what a crashed run wrote past the committed offsets (and its temporaries)."""
        committed = self.committed()
        for path in self._store.files():
            name = path.rsplit("/", 1)[-1]
            if name.endswith(".tmp"):
                self._store.delete(path)
                continue
            parts = name.removesuffix(".parquet").rsplit("+", 2)
            if not name.endswith(".parquet") or len(parts) != 3 or parts[0] != self.topic:
                continue
            partition, first = int(parts[1]), int(parts[2])
            if first >= committed.get(partition, 0):  # a batch never committed
                self._store.delete(path)


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
