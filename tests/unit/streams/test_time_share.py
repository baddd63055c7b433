"""The run loop's time by state: what was waited for is idle or backpressured, the rest busy,
published as milliseconds per second once a second has passed."""

from __future__ import annotations

from streams import metrics
from streams.runner.time_share import TimeShare


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _gauge(job: str, state: str) -> float:
    return float(metrics.TIME_PER_SECOND.labels(job, state)._value.get())


def _total(job: str, state: str) -> float:
    return float(metrics.TIME.labels(job, state)._value.get())


def test_waits_are_idle_or_backpressured_and_the_rest_busy() -> None:
    clock = Clock()
    share = TimeShare("share_a", clock)
    with share.waiting("idle"):
        clock.now += 0.5
    with share.waiting("backpressured"):
        clock.now += 0.2
    clock.now += 0.3  # work
    share.roll()
    assert share.last == {"busy": 300.0, "idle": 500.0, "backpressured": 200.0}
    assert [_gauge("share_a", s) for s in ("busy", "idle", "backpressured")] == [300, 500, 200]
    assert round(_total("share_a", "idle"), 6) == 0.5


def test_nothing_is_published_before_a_second_and_each_second_starts_again() -> None:
    clock = Clock()
    share = TimeShare("share_b", clock)
    share.add("idle", 0.4)
    clock.now += 0.5
    share.roll()
    assert share.last == {}
    clock.now += 1.5  # 2 s in all, 0.4 of them idle
    share.roll()
    assert share.last == {"busy": 800.0, "idle": 200.0, "backpressured": 0.0}
    clock.now += 1.0  # a second of nothing but work
    share.roll()
    assert share.last == {"busy": 1000.0, "idle": 0.0, "backpressured": 0.0}
    assert round(_total("share_b", "busy"), 6) == 2.6
