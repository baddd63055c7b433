"""Time travel: the snapshot each lake table is read at, as of a snapshot id or a moment.

A snapshot id names one table's snapshot; the other tables a statement reads are taken as
they were when that snapshot was committed, so a join sees one moment of the lake. A moment
picks, per table, the snapshot that was current then (Iceberg's snapshot log).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from pyiceberg.catalog import Catalog
from pyiceberg.table import Table

from lake.errors import AsOfError
from lake.tables import load_table


@dataclass(frozen=True)
class AsOf:
    """A point in the lake's history: a snapshot id, or a time in milliseconds since 1970."""

    snapshot_id: int | None = None
    timestamp_ms: int | None = None

    @classmethod
    def parse(cls, text: str) -> AsOf:
        """A snapshot id (digits) or an ISO 8601 time (UTC unless it says otherwise)."""
        word = text.strip()
        if word.isdigit():
            return cls(snapshot_id=int(word))
        try:
            moment = datetime.fromisoformat(word)
        except ValueError:
            raise AsOfError(
                f"{text!r} is neither a snapshot id nor an ISO 8601 time "
                "(e.g. 2026-12-01T10:00:00Z)"
            ) from None
        return cls(timestamp_ms=int(moment.replace(tzinfo=moment.tzinfo or UTC).timestamp() * 1e3))

    def __str__(self) -> str:
        if self.snapshot_id is not None:
            return f"snapshot {self.snapshot_id}"
        return show_time(self.timestamp_ms or 0)


@dataclass(frozen=True)
class Pin:
    """A table read at one snapshot; None: it had none then, and reads as empty."""

    metadata_location: str
    snapshot_id: int | None


def pin_tables(
    catalog: Catalog, namespace: str, every: Iterable[str], read: Iterable[str], as_of: AsOf
) -> dict[str, Pin]:
    """The snapshot each table of ``every`` (the lake's) is read at: AsOfError naming the
    id when no table holds it, or a table of ``read`` (those the statement names) that had
    no snapshot then. Other tables without one read as empty, in case DuckDB named too few."""
    tables = {name: load_table(catalog, namespace, name) for name in every}
    moment, holder, held = as_of.timestamp_ms or 0, None, None
    if as_of.snapshot_id is not None:
        found = [(n, s) for n, t in tables.items() if (s := t.snapshot_by_id(as_of.snapshot_id))]
        if not found:
            raise AsOfError(f"no lake table has a snapshot with id {as_of.snapshot_id}")
        holder, held = found[0]
        moment = held.timestamp_ms
    pins: dict[str, Pin] = {}
    named = set(read)
    for name, table in tables.items():
        snapshot = held if name == holder else table.snapshot_as_of_timestamp(moment)
        if snapshot is None and name in named:
            raise AsOfError(_nothing_then(name, table, as_of, moment))
        pins[name] = Pin(table.metadata_location, snapshot.snapshot_id if snapshot else None)
    return pins


def show_time(timestamp_ms: int) -> str:
    """A snapshot time as ISO 8601 in UTC, to the millisecond."""
    moment = datetime.fromtimestamp(timestamp_ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _nothing_then(name: str, table: Table, as_of: AsOf, moment: int) -> str:
    history = table.history()
    when = show_time(moment) + (f" ({as_of})" if as_of.snapshot_id is not None else "")
    if not history:
        return f"lake table {name} has no snapshot yet, so none at or before {when}"
    first = history[0]
    return (
        f"lake table {name} has no snapshot at or before {when}; its first, "
        f"{first.snapshot_id}, is from {show_time(first.timestamp_ms)}"
    )
