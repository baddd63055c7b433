"""Exactly-once landing: Kafka offsets recorded in the same Iceberg commit as the data.

Each landing append stores ``tide.offsets.<topic>`` = JSON ``{"<partition>": next_offset}``
in its snapshot summary. A writer reads the committed offsets, consumes from there, and
appends only if the offsets are still the ones it read (fencing), so a restarted or
competing writer can never land the same records twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping

import pyarrow as pa
from pyiceberg.exceptions import CommitFailedException
from pyiceberg.table import Table
from pyiceberg.table.snapshots import Snapshot

from lake import evolution
from lake.errors import (
    CommitError,
    OffsetFencingError,
    OffsetHistoryError,
    OffsetRegressionError,
    SchemaMismatchError,
)
from lake.tables import TABLE_PROPERTIES

log = logging.getLogger(__name__)

PROPERTY_PREFIX = "tide.offsets."
# Landing bookkeeping a rewrite must carry forward: the offsets, and the event times beside them
# (lake.watermarks).
CARRIED = (PROPERTY_PREFIX, "tide.event-times.", "tide.valid-through.")


def offsets_key(topic: str) -> str:
    """The snapshot summary property holding the committed offsets of ``topic``."""
    return f"{PROPERTY_PREFIX}{topic}"


def committed_offsets(table: Table, topic: str) -> dict[int, int]:
    """The next offset to read per partition of ``topic``, as of the table's current snapshot.

    Snapshots written by others (compaction...) without the key are skipped by walking back
    through parents; empty if no snapshot ever recorded the topic.
    """
    key = offsets_key(topic)
    for snapshot in lineage(table, topic):
        value = properties_of(snapshot).get(key)
        if value is not None:
            return _parse(value, snapshot)
    return {}


def snapshot_offsets(snapshot: Snapshot) -> dict[str, dict[int, int]]:
    """The offsets ``snapshot`` itself recorded, per topic (none for a commit that landed none)."""
    return {
        key.removeprefix(PROPERTY_PREFIX): _parse(value, snapshot)
        for key, value in sorted(properties_of(snapshot).items())
        if key.startswith(PROPERTY_PREFIX)
    }


def offset_properties(table: Table) -> dict[str, str]:
    """Every topic's committed offsets (and event times) as snapshot properties, for a rewrite
    to carry forward.

    A compaction should pass these as ``snapshot_properties`` so that expiring the older
    snapshots never loses the offsets.
    """
    found: dict[str, str] = {}
    for snapshot in lineage(table, "every topic"):
        for key, value in properties_of(snapshot).items():
            if key.startswith(CARRIED):
                found.setdefault(key, value)
    return found


_COMMIT_ATTEMPTS = 10  # commits that lose a race to a writer leaving the offsets, in a row


def append_with_offsets(
    table: Table,
    data: pa.Table,
    topic: str,
    offsets: dict[int, int],
    expected: dict[int, int],
    evolve: bool = False,
    properties: Mapping[str, str] | None = None,
) -> int:
    """Append ``data`` and advance ``topic``'s offsets in one commit; the new snapshot id.

    ``expected`` are the committed offsets the caller started from; OffsetFencingError
    (and nothing appended) if the table's committed offsets differ from them now. A commit that
    loses the race to a writer leaving the offsets as they were (a compaction, an expiry) is
    made again on top of it, up to _COMMIT_ATTEMPTS times; one that loses to a land is fenced. With
    ``evolve``, the table's schema is first widened to hold ``data`` (``lake.evolution``), in
    the same commit; IncompatibleSchemaError (and nothing changed) if it cannot be.
    ``properties`` are recorded in the snapshot summary beside the offsets.
    """
    _check_forward(topic, offsets, expected)
    merged = {**expected, **offsets}
    summary = {
        **(properties or {}),
        offsets_key(topic): json.dumps({str(p): merged[p] for p in sorted(merged)}),
    }
    for attempt in range(1, _COMMIT_ATTEMPTS + 1):
        table.refresh()
        disable_commit_retry(table)
        current = committed_offsets(table, topic)
        if current != expected:  # another land moved them: this writer is fenced
            raise OffsetFencingError(
                f"offsets of {topic} in {table.name()[-1]} moved since they were read: "
                f"expected {_show(expected)}, found {_show(current)}"
            )
        try:
            with table.transaction() as txn:
                schema = (
                    evolution.widen(txn, data.schema)
                    if evolve
                    else txn.table_metadata.schema().as_arrow()
                )
                txn.append(
                    evolution.conform(data, schema, table.name()[-1]), snapshot_properties=summary
                )
            break
        except CommitFailedException as e:
            # Another writer committed meanwhile. If it left the offsets as they were (a
            # compaction, an expiry), commit again on top of it; the check above fences a land.
            if attempt == _COMMIT_ATTEMPTS:
                raise OffsetFencingError(
                    f"another writer committed to {table.name()[-1]} concurrently, "
                    f"{_COMMIT_ATTEMPTS} times in a row: {e}"
                ) from e
            log.info("commit raced another writer; retrying on top", extra={"attempt": attempt})
        except (ValueError, pa.ArrowException) as e:
            raise SchemaMismatchError(f"cannot append to {table.name()[-1]}: {e}") from e
    snapshot = table.current_snapshot()
    if snapshot is None:  # pragma: no cover - an append always leaves a snapshot
        raise CommitError(f"append to {table.name()[-1]} left no snapshot")
    log.info("landed %d rows of %s, offsets %s", data.num_rows, topic, _show(merged))
    return snapshot.snapshot_id


def lineage(table: Table, topic: str) -> Iterator[Snapshot]:
    """The current snapshot and its ancestors; OffsetHistoryError where history was expired."""
    snapshot = table.current_snapshot()
    while snapshot is not None:
        yield snapshot
        parent_id = snapshot.parent_snapshot_id
        parent = None if parent_id is None else table.snapshot_by_id(parent_id)
        # pyiceberg drops the parent id of a snapshot whose parent it expired; the first
        # snapshot a table ever had is sequence number 1, so a later root means lost history.
        if parent is None and (parent_id is not None or (snapshot.sequence_number or 1) > 1):
            raise OffsetHistoryError(
                f"cannot read the committed offsets of {topic} in {table.name()[-1]}: the "
                f"snapshots before {snapshot.snapshot_id} have expired and none left carries them"
            )
        snapshot = parent


def properties_of(snapshot: Snapshot) -> dict[str, str]:
    return snapshot.summary.additional_properties if snapshot.summary else {}


def _parse(value: str, snapshot: Snapshot) -> dict[int, int]:
    try:
        raw = json.loads(value)
        return {int(partition): int(offset) for partition, offset in raw.items()}
    except (ValueError, TypeError, AttributeError) as e:
        raise OffsetHistoryError(
            f"snapshot {snapshot.snapshot_id} holds unreadable offsets {value!r:.100}"
        ) from e


def _check_forward(topic: str, offsets: dict[int, int], expected: dict[int, int]) -> None:
    backwards = {p: o for p, o in offsets.items() if o < expected.get(p, 0)}
    if backwards:
        raise OffsetRegressionError(
            f"offsets of {topic} would move backwards: {_show(backwards)} "
            f"(committed {_show(expected)})"
        )


def disable_commit_retry(table: Table) -> None:
    """Turn off pyiceberg's blind commit retry on a table not created by lake.tables."""
    if all(table.properties.get(k) == v for k, v in TABLE_PROPERTIES.items()):
        return
    log.info("disabling automatic commit retry on %s", ".".join(table.name()))
    try:
        with table.transaction() as txn:
            txn.set_properties(TABLE_PROPERTIES)
    except CommitFailedException as e:
        raise OffsetFencingError(f"{table.name()[-1]} changed concurrently: {e}") from e


def _show(offsets: dict[int, int]) -> str:
    return "{" + ", ".join(f"{p}: {offsets[p]}" for p in sorted(offsets)) + "}"
