"""One source partition: counted, straggling and ignored events; closing; snapshots."""

from __future__ import annotations

import pyarrow as pa

from streams.aggregations.partials import PartialPlan
from streams.jobs.base import Timing
from streams.state.partition import PartitionState
from tests.unit.streams.engine import COUNT_SUM, Event, batch

MIN = 60_000
TIMING = Timing(MIN, lateness_ms=10_000, out_of_orderness_ms=0)
PLAN = PartialPlan(COUNT_SUM)


def events(*times: int, key: str = "a") -> list[Event]:
    return [Event(0, t, key) for t in times]


def counts(table: pa.Table) -> dict[tuple[int, str], int]:
    return {(r["W"], r["k"]): r["a0_n"] for r in table.to_pylist()}


def test_out_of_order_within_lateness_counts_and_the_window_closes_at_end_plus_lateness() -> None:
    state = PartitionState(0, PLAN, TIMING)
    result = state.apply(batch(events(50_000, 10_000, 59_999), PLAN), 3)
    assert result.counted == 3 and result.closed.empty
    assert state.apply(batch(events(69_999), PLAN), 4).closed.empty  # 69_999 < 70_000
    result = state.apply(batch(events(70_000), PLAN), 5)  # exactly at the boundary: fires
    assert counts(result.closed.rows) == {(0, "a"): 3}
    assert state.open_windows == 1 and state.next_offset == 5


def test_an_event_after_its_window_closed_here_is_a_straggler_not_a_count() -> None:
    state = PartitionState(0, PLAN, TIMING)
    result = state.apply(batch(events(80_000, 5_000), PLAN), 2)
    assert result.stragglers["t"].to_pylist() == [5_000]
    assert result.stragglers["wm_before"].to_pylist() == [80_000]
    assert result.counted == 1


def test_lateness_is_judged_event_by_event_not_at_the_end_of_the_batch() -> None:
    # 65 s is counted (watermark 60 s before it) even though 90 s in the same batch closes it
    state = PartitionState(0, PLAN, TIMING)
    result = state.apply(batch(events(60_000, 59_000, 90_000, 1_000), PLAN), 4)
    assert result.stragglers["t"].to_pylist() == [1_000]
    assert counts(result.closed.rows) == {(0, "a"): 1}  # 59 s; 1 s arrived after 90 s


def test_batch_boundaries_do_not_change_what_counts() -> None:
    stream = events(1_000, 50_000, 75_000, 30_000, 130_000, 65_000, 200_000, 1_000)
    whole = PartitionState(0, PLAN, TIMING)
    whole_result = whole.apply(batch(stream, PLAN), len(stream))
    pieces = PartitionState(0, PLAN, TIMING)
    closed, stragglers = [], []
    for i in range(0, len(stream), 3):
        r = pieces.apply(batch(stream[i : i + 3], PLAN), i + 3)
        closed.append(r.closed.rows)
        stragglers += r.stragglers["t"].to_pylist()
    assert counts(pa.concat_tables(closed)) == counts(whole_result.closed.rows)
    assert stragglers == whole_result.stragglers["t"].to_pylist()


def test_the_idle_floor_closes_windows_and_makes_later_events_stragglers() -> None:
    state = PartitionState(0, PLAN, TIMING)
    state.apply(batch(events(10_000), PLAN), 1)
    assert state.raise_floor(70_000)
    assert not state.raise_floor(50_000)  # a floor never goes down
    # a checkpoint taken now holds the floor and the window it passed: nothing is lost if the
    # report of that window does not get out before a crash
    restored = PartitionState.restore(state.snapshot(), PLAN, TIMING)
    for s in (state, restored):
        assert counts(s.close_ready().rows) == {(0, "a"): 1}
        assert s.apply(batch(events(20_000), PLAN), 2).stragglers.num_rows == 1


def test_a_snapshot_restores_windows_watermark_floor_and_offset() -> None:
    state = PartitionState(0, PLAN, TIMING)
    state.apply(batch(events(10_000, 20_000, 65_000, key="b"), PLAN), 3)
    state.raise_floor(5_000)
    back = PartitionState.restore(state.snapshot(), PLAN, TIMING)
    assert (back.next_offset, back.max_event_ms, back.floor_ms) == (3, 65_000, 5_000)
    assert back.partials.to_pylist() == state.partials.to_pylist()
    more = batch(events(80_000, key="b"), PLAN)
    assert counts(back.apply(more, 4).closed.rows) == counts(state.apply(more, 4).closed.rows)
