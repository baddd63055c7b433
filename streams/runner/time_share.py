"""Where a run loop's time goes, as Flink reports a task's: idle, backpressured, busy.

Idle is time waiting for input: a fetch that came back with less than a full batch waited
for records the broker did not have. Backpressured is time waiting for the broker to take
outputs: a full producer queue, and the flush or transaction commit of a checkpoint. Busy is
the rest of the loop (decoding, windows, producing). Totals are counters; each state's share
of the last second or so (milliseconds per second) is a gauge, rolled once a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from streams import metrics

STATES = ("busy", "idle", "backpressured")


class TimeShare:
    """The loop's time by state, for job ``job``."""

    def __init__(self, job: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.job = job
        self._clock = clock
        self._since = clock()
        self._waited = {"idle": 0.0, "backpressured": 0.0}
        self.last: dict[str, float] = {}  # ms per second of the last roll, by state

    def add(self, state: str, seconds: float) -> None:
        """``seconds`` spent ``idle`` or ``backpressured``."""
        self._waited[state] += seconds

    @contextmanager
    def waiting(self, state: str) -> Iterator[None]:
        """Count the block's time as ``state``."""
        started = self._clock()
        try:
            yield
        finally:
            self.add(state, self._clock() - started)

    def roll(self) -> None:
        """Once a second has passed: publish each state's share of it and start again."""
        now = self._clock()
        elapsed = now - self._since
        if elapsed < 1.0:
            return
        spent = {**self._waited, "busy": max(elapsed - sum(self._waited.values()), 0.0)}
        for state in STATES:
            metrics.TIME.labels(self.job, state).inc(spent[state])
            share = round(min(spent[state] / elapsed, 1.0) * 1000, 1)
            metrics.TIME_PER_SECOND.labels(self.job, state).set(share)
            self.last[state] = share
        self._since = now
        self._waited = {"idle": 0.0, "backpressured": 0.0}
