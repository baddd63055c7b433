"""The state of one source partition in the partition stage: open partials and the watermark.

``apply`` takes a decoded batch in offset order and splits its events three ways, event by
event as if one at a time (the watermark before each event is computed column-wise):

- counted: its window is still open on this partition → added to the window's partial;
- straggler: its window already closed on this partition (the partition's watermark passed its
  end + lateness) → sent on alone, and the merge stage decides whether the window has fired
  everywhere (then it is late) or still counts it;
- not matched by the job's ``where`` → ignored (it still moves the watermark).

A window closes on this partition when the partition's watermark reaches its end + lateness;
its partials are handed over then and dropped. Which events count is decided by offsets and event
times only, never by batch boundaries or the wall clock, so a replay from a checkpoint computes
the same partials (the idle floor is the exception: it is checkpointed before anyone sees it).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from streams.aggregations.partials import PartialPlan
from streams.jobs.base import Timing
from streams.state import codec
from streams.windows.base import window_starts
from streams.windows.watermarks import NEVER, partition_watermark, watermarks_before

_MAGIC = b"TPS1"


@dataclass
class Closed:
    """Partials handed to the merge stage: cumulative per (window, key) for this partition."""

    rows: pa.Table
    hll: pa.Table

    @property
    def empty(self) -> bool:
        return bool(self.rows.num_rows == 0 and self.hll.num_rows == 0)


@dataclass
class BatchResult:
    closed: Closed
    stragglers: pa.Table  # decoded rows (with W and wm_before) whose window closed here
    counted: int


class PartitionState:
    """Open windows of one source partition, the watermark, and the next offset to read."""

    def __init__(self, partition: int, plan: PartialPlan, timing: Timing) -> None:
        self.partition = partition
        self.plan = plan
        self.timing = timing
        self.next_offset: int | None = None
        self.max_event_ms: int | None = None
        self.floor_ms = NEVER
        self.partials = plan.empty()
        self.hll = plan.empty_hll()

    @property
    def watermark_ms(self) -> int:
        return partition_watermark(
            self.max_event_ms, self.timing.out_of_orderness_ms, self.floor_ms
        )

    @property
    def open_windows(self) -> int:
        return len(set(self.partials["W"].to_pylist()) | set(self.hll["W"].to_pylist()))

    def apply(self, batch: pa.Table, next_offset: int) -> BatchResult:
        """Count a decoded batch (columns ``t``, ``m``, ``k``, values; offset order)."""
        size, lateness = self.timing.size_ms, self.timing.lateness_ms
        times = batch["t"].combine_chunks()
        before = watermarks_before(
            times, self.max_event_ms, self.timing.out_of_orderness_ms, self.floor_ms
        )
        starts = window_starts(times, size)
        closed_here = pc.less_equal(pc.add(starts, size + lateness), before)
        batch = batch.append_column("W", starts).append_column("wm_before", before)
        matched = batch["m"]
        counted = batch.filter(pc.and_(matched, pc.invert(closed_here)))
        stragglers = batch.filter(pc.and_(matched, closed_here))
        if counted.num_rows:
            self.partials = self.plan.merge([self.partials, self.plan.aggregate(counted)])
            if self.plan.distinct:
                self.hll = self.plan.merge_hll([self.hll, self.plan.aggregate_hll(counted)])
        if len(times):
            newest = pc.max(times).as_py()
            self.max_event_ms = (
                newest if self.max_event_ms is None else max(self.max_event_ms, newest)
            )
        self.next_offset = next_offset
        return BatchResult(self.close_ready(), stragglers, counted.num_rows)

    def raise_floor(self, floor_ms: int) -> bool:
        """Raise the idle floor (True if it rose). Windows it passes stay until ``close_ready``:
        a checkpoint taken in between still holds them, so they are reported after a crash."""
        if floor_ms <= self.floor_ms:
            return False
        self.floor_ms = floor_ms
        return True

    def open_partials(self) -> Closed:
        """The running partials of every open window (for early updates)."""
        return Closed(self.partials, self.hll)

    def close_ready(self) -> Closed:
        """Hand over (and drop) the windows the watermark has passed by end + lateness."""
        horizon = self.watermark_ms - self.timing.size_ms - self.timing.lateness_ms
        rows = _split(self.partials, horizon)
        hll = _split(self.hll, horizon)
        self.partials, self.hll = rows[1], hll[1]
        return Closed(rows[0], hll[0])

    def snapshot(self) -> bytes:
        header = {
            "partition": self.partition,
            "next_offset": self.next_offset,
            "max_event_ms": self.max_event_ms,
            "floor_ms": self.floor_ms,
        }
        return codec.pack(_MAGIC, header, [self.partials, self.hll])

    @classmethod
    def restore(cls, data: bytes, plan: PartialPlan, timing: Timing) -> PartitionState:
        header, (partials, hll) = codec.unpack(_MAGIC, data, 2)
        state = cls(int(header["partition"]), plan, timing)
        state.next_offset = header["next_offset"]
        state.max_event_ms = header["max_event_ms"]
        state.floor_ms = int(header["floor_ms"])
        state.partials = plan.empty() if partials is None else partials.cast(plan.schema)
        state.hll = plan.empty_hll() if hll is None else hll.cast(plan.hll_schema)
        return state


def _split(table: pa.Table, horizon_ms: int) -> tuple[pa.Table, pa.Table]:
    """(rows of windows starting at or before ``horizon_ms``, the rest)."""
    if table.num_rows == 0:
        return table, table
    done = pc.less_equal(table["W"], horizon_ms)
    return table.filter(done), table.filter(pc.invert(done))
