"""What each lake table holds now: rows, data files, bytes, partitions, snapshots, last commit."""

from __future__ import annotations

from dataclasses import dataclass

from pyiceberg.catalog import Catalog
from pyiceberg.table import Table

from lake.catalog import table_locations
from lake.tables import load_table
from lake.watermarks import VALID_THROUGH_PREFIX


@dataclass(frozen=True)
class TableStats:
    """One table's current state; ``last_commit_ms`` None: never written."""

    name: str
    rows: int
    files: int
    bytes: int
    partitions: int
    snapshots: int
    last_commit_ms: int | None
    valid_through: str | None = None  # the earliest valid-through of the topics landed in it


def table_stats(catalog: Catalog, namespace: str) -> list[TableStats]:
    """Every table of ``namespace``, by name."""
    return [stats_of(name, load_table(catalog, namespace, name))
            for name in sorted(table_locations(catalog, namespace))]  # fmt: skip


def stats_of(name: str, table: Table) -> TableStats:
    """``table``'s totals from its current snapshot's summary (Iceberg keeps them there)."""
    current = table.current_snapshot()
    totals = current.summary if current is not None and current.summary is not None else None

    extra = totals.additional_properties if totals is not None else {}

    def total(key: str) -> int:
        return int(totals.get(key) or 0) if totals is not None else 0

    return TableStats(
        name=name,
        rows=total("total-records"),
        files=total("total-data-files"),
        bytes=total("total-files-size"),
        partitions=table.inspect.partitions().num_rows if current is not None else 0,
        snapshots=len(table.snapshots()),
        last_commit_ms=None if current is None else current.timestamp_ms,
        valid_through=min(
            (v for k, v in extra.items() if k.startswith(VALID_THROUGH_PREFIX)),
            default=None,
        ),
    )
