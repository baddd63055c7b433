"""A lake table's snapshots, oldest first: what each commit added and the Kafka offsets it
recorded (see lake.offsets)."""

from __future__ import annotations

from dataclasses import dataclass

from pyiceberg.table import Table
from pyiceberg.table.snapshots import Snapshot

from lake.offsets import snapshot_offsets


@dataclass(frozen=True)
class SnapshotEntry:
    """One commit: ``offsets`` are the next offsets per topic and partition it recorded."""

    snapshot_id: int
    parent_id: int | None
    timestamp_ms: int
    operation: str
    added_rows: int
    added_files: int
    offsets: dict[str, dict[int, int]]


def snapshot_log(table: Table) -> list[SnapshotEntry]:
    """Every snapshot ``table`` keeps, in commit order."""
    ordered = sorted(table.snapshots(), key=lambda s: (s.sequence_number or 0, s.timestamp_ms))
    return [_entry(snapshot) for snapshot in ordered]


def _entry(snapshot: Snapshot) -> SnapshotEntry:
    summary = snapshot.summary

    def added(key: str) -> int:
        return int(summary.get(key) or 0) if summary is not None else 0

    return SnapshotEntry(
        snapshot_id=snapshot.snapshot_id,
        parent_id=snapshot.parent_snapshot_id,
        timestamp_ms=snapshot.timestamp_ms,
        operation=summary.operation.value if summary is not None else "",
        added_rows=added("added-records"),
        added_files=added("added-data-files"),
        offsets=snapshot_offsets(snapshot),
    )
