"""The window engine without Kafka: partition states, reports through their codec, the merge
state — and a Flink-semantics oracle to compare them with.

The oracle processes one global sequence of events as Flink's event-time windowing would: a
watermark per partition (newest event minus out-of-orderness), the operator watermark as their
minimum, an event late when its window's end plus lateness is at or below the operator watermark,
and every remaining window fired when the input ends (all partitions idle).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from streams.aggregations.partials import PartialPlan
from streams.io import reports
from streams.jobs.base import AggKind, Aggregation, Timing
from streams.state.merge import Final, Late, MergeState
from streams.state.partition import PartitionState
from streams.windows.base import window_of
from streams.windows.watermarks import NEVER

COUNT_SUM = (Aggregation("n", AggKind.COUNT), Aggregation("total", AggKind.SUM, "x"))


@dataclass(frozen=True, eq=False)
class Event:
    """One event; events are told apart by identity (two alike are still two)."""

    partition: int
    t: int
    key: str
    x: int = 1


def batch(events: list[Event], plan: PartialPlan) -> pa.Table:
    """A decoded batch as the decoder would give it (all events match, no distinct)."""
    n = len(events)
    columns: dict[str, Any] = {
        "pos": pa.array(range(n), pa.int32()),
        "t": pa.array([e.t for e in events], pa.int64()),
        "m": pa.array([True] * n),
        "k": pa.array([e.key for e in events], pa.string()),
    }
    for name, dtype in plan.value_types().items():
        columns[name] = pa.array([e.x for e in events], dtype)
    return pa.table(columns)


@dataclass
class Engine:
    """Partition stage and merge stage of one job, wired through encoded reports."""

    partitions: int
    timing: Timing
    aggregations: tuple[Aggregation, ...] = COUNT_SUM
    plan: PartialPlan = field(init=False)
    states: dict[int, PartitionState] = field(init=False)
    merge: MergeState = field(init=False)
    offsets: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    finals: list[Final] = field(default_factory=list)
    lates: list[Late] = field(default_factory=list)
    sent: list[bytes] = field(default_factory=list)  # every report, as on the exchange

    def __post_init__(self) -> None:
        self.plan = PartialPlan(self.aggregations)
        self.states = {p: PartitionState(p, self.plan, self.timing) for p in range(self.partitions)}
        self.merge = MergeState(list(range(self.partitions)), self.plan, self.timing)

    def feed(self, partition: int, events: list[Event]) -> None:
        """One batch of one partition (offsets follow on from the previous batch)."""
        state = self.states[partition]
        first = self.offsets[partition]
        self.offsets[partition] += len(events)
        result = state.apply(batch(events, self.plan), self.offsets[partition])
        stragglers = None
        if result.stragglers.num_rows:
            rows = result.stragglers
            offsets = [first + pos for pos in rows["pos"].to_pylist()]
            stragglers = (
                rows.drop_columns(["t", "m", "pos"])
                .append_column("offset", pa.array(offsets, pa.int64()))
                .append_column("key", pa.array([None] * len(offsets), pa.binary()))
                .append_column("value", pa.array([str(o).encode() for o in offsets], pa.binary()))
            )
        self.send(
            reports.Report(
                partition,
                state.next_offset or 0,
                state.watermark_ms,
                state.max_event_ms,
                False,
                result.closed.rows,
                result.closed.hll,
                stragglers,
            )
        )

    def send(self, report: reports.Report) -> None:
        data = reports.encode(report)
        self.sent.append(data)
        self.deliver(data)

    def deliver(self, data: bytes) -> None:
        finals, lates = self.merge.apply(reports.decode(data))
        self.finals += finals
        self.lates += lates

    def all_idle(self) -> None:
        """Every partition goes idle: each raises its floor as the partition stage would."""
        newest = max(
            (s.max_event_ms for s in self.states.values() if s.max_event_ms is not None),
            default=None,
        )
        if newest is None:
            return
        floor = window_of(newest, self.timing.size_ms).end_ms + self.timing.lateness_ms
        for p, state in self.states.items():
            state.raise_floor(floor)
            closed = state.close_ready()
            self.send(
                reports.Report(
                    p,
                    state.next_offset or 0,
                    state.watermark_ms,
                    state.max_event_ms,
                    True,
                    None if closed is None else closed.rows,
                    None if closed is None else closed.hll,
                )
            )

    def results(self) -> dict[tuple[int, str | None], dict[str, Any]]:
        return {(f.window_start_ms, f.key): f.values for f in self.finals if not f.early}


@dataclass
class Oracle:
    """Flink's event-time tumbling windows over one global sequence of events."""

    partitions: int
    timing: Timing
    counts: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    newest: dict[int, int] = field(default_factory=dict)
    fired_ms: int = NEVER
    finals: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    late: list[Event] = field(default_factory=list)
    idle_partitions: set[int] = field(default_factory=set)

    def watermark(self) -> int:
        """Min over the non-idle partitions (Flink's withIdleness); it never goes down."""
        active = [p for p in range(self.partitions) if p not in self.idle_partitions]
        if not active:
            return self.fired_ms
        if any(p not in self.newest for p in active):
            return NEVER
        return min(self.newest[p] for p in active) - self.timing.out_of_orderness_ms

    def idle(self, partition: int) -> None:
        self.idle_partitions.add(partition)
        self.fire(self.watermark())

    def add(self, event: Event) -> None:
        start = window_of(event.t, self.timing.size_ms).start_ms
        if start + self.timing.size_ms + self.timing.lateness_ms <= self.fired_ms:
            self.late.append(event)
        else:
            n = self.counts.setdefault((start, event.key), [0, 0])
            n[0] += 1
            n[1] += event.x
        self.newest[event.partition] = max(self.newest.get(event.partition, event.t), event.t)
        self.idle_partitions.discard(event.partition)
        self.fire(self.watermark())

    def fire(self, watermark: int) -> None:
        if watermark <= self.fired_ms:
            return
        self.fired_ms = watermark
        horizon = self.fired_ms - self.timing.size_ms - self.timing.lateness_ms
        for wk in [wk for wk in self.counts if wk[0] <= horizon]:
            n, total = self.counts.pop(wk)
            self.finals[wk] = {"n": n, "total": total}

    def end(self) -> None:
        for wk, (n, total) in self.counts.items():
            self.finals[wk] = {"n": n, "total": total}
        self.counts.clear()
