"""The partition and merge stages against a Flink-semantics oracle, event by event.

Fed one event at a time in one global order, the two stages must give exactly the oracle's
final results and late events, for any stream: out of order, late, with partitions running ahead
of each other. Then the properties that make recovery exact: replayed reports change nothing,
and a merge stage restored from a snapshot fires what the original would have.
"""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import given, settings

from streams.jobs.base import Timing
from streams.state.merge import MergeState
from tests.unit.streams.engine import Engine, Event, Oracle

MIN = 60_000
TIMINGS = [Timing(MIN, 10_000, 0), Timing(MIN, 0, 5_000), Timing(10_000, 3_000, 2_000)]

streams_ = st.lists(
    st.builds(
        Event,
        st.integers(0, 2),
        st.integers(0, 400_000),
        st.sampled_from(["a", "b"]),
        st.integers(1, 5),
    ),
    min_size=1,
    max_size=60,
)


def run_both(stream: list[Event], timing: Timing) -> tuple[Engine, Oracle]:
    engine, oracle = Engine(3, timing), Oracle(3, timing)
    for event in stream:
        engine.feed(event.partition, [event])
        oracle.add(event)
    engine.all_idle()
    oracle.end()
    return engine, oracle


@settings(max_examples=150, deadline=None)
@given(streams_, st.sampled_from(TIMINGS))
def test_event_by_event_the_stages_give_exactly_the_oracles_results(
    stream: list[Event], timing: Timing
) -> None:
    engine, oracle = run_both(stream, timing)
    assert engine.results() == oracle.finals
    assert sorted(late.offset for late in engine.lates) == sorted(
        engine_offset(stream, e) for e in oracle.late
    )


def engine_offset(stream: list[Event], event: Event) -> int:
    """The offset an event has in its partition (events are unique by identity here)."""
    same = [e for e in stream if e.partition == event.partition]
    return next(i for i, e in enumerate(same) if e is event)


@settings(max_examples=80, deadline=None)
@given(streams_, st.integers(0, 200))
def test_replayed_reports_change_nothing(stream: list[Event], cut: int) -> None:
    engine, _ = run_both(stream, TIMINGS[0])
    once = engine.results()
    replay = Engine(3, TIMINGS[0])
    sent = engine.sent
    cut = min(cut, len(sent))
    for data in sent[:cut] + sent[: cut // 2] + sent[cut // 2 :]:  # a replayed stretch
        replay.deliver(data)
    assert replay.results() == once
    assert len(replay.finals) == len(engine.finals)


@settings(max_examples=80, deadline=None)
@given(streams_, st.integers(0, 200))
def test_a_restored_merge_stage_fires_the_same_records(stream: list[Event], cut: int) -> None:
    engine, _ = run_both(stream, TIMINGS[0])
    sent = engine.sent
    cut = min(cut, len(sent))
    first = Engine(3, TIMINGS[0])
    for data in sent[:cut]:
        first.deliver(data)
    restored = Engine(3, TIMINGS[0])
    restored.merge = MergeState.restore(first.merge.snapshot(), restored.plan, restored.timing)
    restored.finals = list(first.finals)
    for data in sent[cut:]:
        restored.deliver(data)
    assert restored.finals == engine.finals


def test_a_partition_running_ahead_cannot_fire_a_window_the_others_still_fill() -> None:
    timing = TIMINGS[0]
    engine, oracle = Engine(3, timing), Oracle(3, timing)
    stream = [
        Event(0, 500_000, "a"),
        Event(1, 1_000, "a"),
        Event(2, 2_000, "a"),
        Event(0, 3_000, "a"),  # far behind partition 0's own watermark: still counts,
        Event(1, 600_000, "a"),
        Event(2, 600_000, "a"),  # the window had not fired
        Event(0, 4_000, "a"),
    ]  # now it has: late
    for event in stream:
        engine.feed(event.partition, [event])
        oracle.add(event)
    assert engine.results()[(0, "a")] == {"n": 3, "total": 3} == oracle.finals[(0, "a")]
    assert [(late.partition, late.offset) for late in engine.lates] == [(0, 2)]


def test_all_partitions_idle_fires_the_last_windows() -> None:
    engine = Engine(2, TIMINGS[0])
    engine.feed(0, [Event(0, 30_000, "a"), Event(0, 65_000, "b")])
    assert engine.results() == {}
    engine.all_idle()  # partition 1 never had an event: it is idle too
    assert engine.results() == {(0, "a"): {"n": 1, "total": 1}, (60_000, "b"): {"n": 1, "total": 1}}
