"""How far in event time a landed topic is complete: recorded in each landing commit.

Beside the offsets (``lake.offsets``), a landing commit records in its snapshot summary
``tide.event-times.<topic>`` = JSON ``{"<partition>": max event time landed, µs since the
epoch}`` and ``tide.valid-through.<topic>`` = the smallest of those, as ISO-8601 UTC: every
partition that has landed rows has landed one at least that late. A partition that never held a
row does not count (it would hold the watermark back forever); one that falls idle keeps its
last event time until it lands again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence

import pyarrow as pa
from pyiceberg.table import Table

from lake.errors import OffsetHistoryError
from lake.offsets import lineage, properties_of

EVENT_TIMES_PREFIX = "tide.event-times."
VALID_THROUGH_PREFIX = "tide.valid-through."
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def max_event_times(partitions: Sequence[int], event_times: pa.ChunkedArray) -> dict[int, int]:
    """The latest event time (µs) per partition of rows whose partitions are ``partitions``."""
    rows = pa.table({"p": pa.array(partitions, pa.int32()), "t": event_times.cast(pa.int64())})
    latest = rows.group_by("p").aggregate([("t", "max")])
    pairs = zip(latest["p"].to_pylist(), latest["t_max"].to_pylist(), strict=True)
    return {p: t for p, t in pairs if t is not None}


def merged(current: Mapping[int, int], new: Mapping[int, int]) -> dict[int, int]:
    """Per partition, the later of ``current`` and ``new``."""
    return {p: max(current.get(p, t), t) for p, t in new.items()} | {
        p: t for p, t in current.items() if p not in new
    }


def watermark_properties(topic: str, event_times: Mapping[int, int]) -> dict[str, str]:
    """The snapshot properties recording ``event_times`` and the valid-through watermark."""
    if not event_times:
        return {}
    ordered = {str(p): event_times[p] for p in sorted(event_times)}
    return {
        f"{EVENT_TIMES_PREFIX}{topic}": json.dumps(ordered),
        f"{VALID_THROUGH_PREFIX}{topic}": as_time(min(event_times.values())).isoformat(),
    }


def committed_event_times(table: Table, topic: str) -> dict[int, int]:
    """The latest event time landed per partition of ``topic`` (µs), as of the current
    snapshot; empty if no landing commit recorded them."""
    key = f"{EVENT_TIMES_PREFIX}{topic}"
    for snapshot in lineage(table, topic):
        value = properties_of(snapshot).get(key)
        if value is None:
            continue
        try:
            return {int(p): int(t) for p, t in json.loads(value).items()}
        except (ValueError, TypeError, AttributeError) as e:
            raise OffsetHistoryError(
                f"snapshot {snapshot.snapshot_id} holds unreadable event times {value!r:.100}"
            ) from e
    return {}


def valid_through(table: Table, topic: str) -> dt.datetime | None:
    """The valid-through watermark of ``topic`` as of the table's current snapshot."""
    times = committed_event_times(table, topic)
    return as_time(min(times.values())) if times else None


def as_time(micros: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=micros)
