"""Event-time tumbling windows: assignment, watermark closing, lateness, idle flush."""

from __future__ import annotations

from streams.windows import TumblingCounter, Window, window_of

MIN = 60_000


def test_window_of_aligns_to_size() -> None:
    assert window_of(0, MIN) == Window(0, MIN)
    assert window_of(MIN - 1, MIN) == Window(0, MIN)
    assert window_of(MIN, MIN) == Window(MIN, 2 * MIN)
    assert window_of(125_000, MIN) == Window(120_000, 180_000)


def test_window_closes_only_when_watermark_passes_end_plus_lateness() -> None:
    counter = TumblingCounter(MIN, lateness_ms=10_000)
    for t in (1_000, 30_000, 59_999):
        assert counter.add("/", t)
    assert counter.close_ready() == []
    counter.add("/", MIN + 9_999)  # watermark = 59_999 < 60_000: still open
    assert counter.close_ready() == []
    counter.add("/cart", MIN + 10_000)  # watermark reaches the end of [0, 60s)
    closed = counter.close_ready()
    assert [(c.key, c.window, c.count) for c in closed] == [("/", Window(0, MIN), 3)]
    assert counter.open_windows == 1


def test_out_of_order_event_within_lateness_is_counted() -> None:
    counter = TumblingCounter(MIN, lateness_ms=10_000)
    counter.add("/", MIN + 5_000)
    assert counter.add("/", 50_000)  # earlier window, but the watermark (55s) has not passed 60s
    counter.add("/", MIN + 20_000)
    closed = counter.close_ready()
    assert [(c.window, c.count) for c in closed] == [(Window(0, MIN), 1)]


def test_event_for_closed_window_is_late_and_not_counted() -> None:
    counter = TumblingCounter(MIN, lateness_ms=0)
    counter.add("/", 10_000)
    counter.add("/", MIN)
    assert [c.count for c in counter.close_ready()] == [1]
    assert not counter.add("/", 20_000)
    assert counter.late == 1
    counter.add("/", 3 * MIN)
    assert [(c.window, c.count) for c in counter.close_ready()] == [(Window(MIN, 2 * MIN), 1)]


def test_close_all_flushes_and_makes_later_events_late() -> None:
    counter = TumblingCounter(MIN, lateness_ms=10_000)
    counter.add("/a", 1_000)
    counter.add("/b", MIN + 1_000)
    closed = counter.close_all()
    assert sorted((c.key, c.window.start_ms) for c in closed) == [("/a", 0), ("/b", MIN)]
    assert counter.open_windows == 0
    assert not counter.add("/a", MIN + 2_000)
    assert counter.add("/a", 2 * MIN)


def test_counts_sum_to_events_added() -> None:
    counter = TumblingCounter(MIN, lateness_ms=5_000)
    times = [i * 997 % (10 * MIN) for i in range(5_000)]
    accepted = sum(counter.add(f"/p{i % 7}", t) for i, t in enumerate(times))
    emitted = sum(c.count for c in counter.close_ready()) + sum(
        c.count for c in counter.close_all()
    )
    assert emitted == accepted
    assert accepted + counter.late == len(times)
