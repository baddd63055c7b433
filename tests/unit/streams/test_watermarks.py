"""Watermarks, idleness and the idle floor, as pure functions."""

from __future__ import annotations

import pyarrow as pa

from streams.windows.base import Window, fires_at, window_of, window_starts
from streams.windows.watermarks import (
    NEVER,
    Progress,
    confirmed_at_end,
    idle_floor,
    is_idle,
    operator_watermark,
    partition_watermark,
    watermarks_before,
)

MIN = 60_000


def test_windows_align_to_the_epoch_also_before_1970() -> None:
    assert window_of(0, MIN) == Window(0, MIN)
    assert window_of(MIN - 1, MIN) == Window(0, MIN)
    assert window_of(MIN, MIN) == Window(MIN, 2 * MIN)
    starts = window_starts(pa.array([125_000, 60_000, 59_999, -5], pa.int64()), MIN)
    assert starts.to_pylist() == [120_000, 60_000, 0, -MIN]


def test_a_window_fires_at_its_end_plus_lateness() -> None:
    assert fires_at(0, MIN, 10_000) == 70_000


def test_watermark_before_each_event_is_the_running_maximum_so_far_minus_out_of_orderness() -> None:
    times = pa.array([5_000, 3_000, 9_000, 1_000], pa.int64())
    before = watermarks_before(times, None, 1_000, NEVER).to_pylist()
    assert before == [NEVER, 4_000, 4_000, 8_000]  # the first event sees no watermark yet


def test_watermark_before_carries_over_from_earlier_batches_and_respects_the_floor() -> None:
    times = pa.array([5_000, 9_000], pa.int64())
    assert watermarks_before(times, 7_000, 0, NEVER).to_pylist() == [7_000, 7_000]
    assert watermarks_before(times, 7_000, 0, 8_000).to_pylist() == [8_000, 8_000]
    assert partition_watermark(None, 0, NEVER) == NEVER
    assert partition_watermark(10_000, 2_000, 9_000) == 9_000


def test_a_lagging_partition_is_never_idle() -> None:
    assert not is_idle(caught_up=False, silent_s=3600, idle_timeout_s=10)
    assert not is_idle(caught_up=True, silent_s=9.9, idle_timeout_s=10)
    assert is_idle(caught_up=True, silent_s=10, idle_timeout_s=10)


def test_a_partition_is_at_its_end_only_on_the_brokers_recent_word() -> None:
    assert confirmed_at_end(broker_end=120, position=120)
    assert confirmed_at_end(broker_end=101, position=120)  # Tansu: last batch's base + 1
    assert not confirmed_at_end(broker_end=121, position=120)  # a stalled fetch: records wait
    assert not confirmed_at_end(broker_end=None, position=120)  # the leader did not answer


def test_operator_watermark_is_held_back_by_a_partition_that_never_reported() -> None:
    progress = {0: Progress(50_000, 50_000, False), 1: Progress(20_000, 20_000, False)}
    assert operator_watermark([0, 1], progress) == 20_000
    assert operator_watermark([0, 1, 2], progress) == NEVER


def test_an_idle_partition_follows_the_slowest_active_one() -> None:
    progress = {
        0: Progress(50_000, 50_000, False),
        1: Progress(80_000, 80_000, False),
        2: Progress(10_000, 10_000, True),
    }
    assert idle_floor(2, [0, 1, 2], progress, MIN, 10_000) == 50_000


def test_when_every_partition_is_idle_the_window_of_the_newest_event_fires() -> None:
    progress = {0: Progress(125_000, 125_000, True), 1: Progress(20_000, 20_000, True)}
    # the newest event (125 s) is in [120 s, 180 s): the floor passes 180 s + lateness
    assert idle_floor(1, [0, 1], progress, MIN, 10_000) == 190_000


def test_an_idle_partition_does_not_follow_a_partition_it_has_not_heard_from() -> None:
    progress = {0: Progress(50_000, 50_000, True)}
    assert idle_floor(0, [0, 1], progress, MIN, 10_000) == NEVER
