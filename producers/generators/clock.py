"""Event times for generated events: evenly spaced, with a share arriving late on purpose."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class EventClock:
    """Event ``i`` happens at ``start_ms + i * spacing_ms``, minus a random delay for late ones."""

    start_ms: int
    spacing_ms: float
    late_share: float = 0.05
    max_delay_ms: int = 8_000  # within the worker's default allowed lateness (10 s)

    @classmethod
    def spanning(cls, count: int, span_s: float, late_share: float = 0.05) -> EventClock:
        """``count`` events spread over the ``span_s`` seconds that end now."""
        now = int(time.time() * 1000)
        return cls(now - int(span_s * 1000), span_s * 1000 / max(count, 1), late_share)

    @classmethod
    def realtime(cls, rate: float, late_share: float = 0.05) -> EventClock:
        """Events at ``rate`` per second starting now (event time tracks the wall clock)."""
        return cls(int(time.time() * 1000), 1000 / rate if rate > 0 else 1.0, late_share)

    def at(self, i: int, rng: random.Random) -> int:
        t = self.start_ms + int(i * self.spacing_ms)
        if rng.random() < self.late_share:
            t -= rng.randint(1, self.max_delay_ms)
        return t
