"""Event times for generated events: evenly spaced, with a share arriving late on purpose."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class EventClock:
    """Event ``i`` happens at ``start_ms + i * spacing_ms`` (or now, on a wall clock), minus a
    random delay for the share of events that arrive late."""

    start_ms: int
    spacing_ms: float
    late_share: float = 0.05
    max_delay_ms: int = 8_000  # within the worker's default allowed lateness (10 s)
    wall: bool = False

    @classmethod
    def spanning(cls, count: int, span_s: float, late_share: float = 0.05) -> EventClock:
        """``count`` events spread over the ``span_s`` seconds that end now."""
        now = int(time.time() * 1000)
        return cls(now - int(span_s * 1000), span_s * 1000 / max(count, 1), late_share)

    @classmethod
    def realtime(cls, late_share: float = 0.05) -> EventClock:
        """Each event happens when it is generated (event time is the wall clock)."""
        return cls(0, 0.0, late_share, wall=True)

    def at(self, i: int, rng: random.Random) -> int:
        t = int(time.time() * 1000) if self.wall else self.start_ms + int(i * self.spacing_ms)
        if rng.random() < self.late_share:
            t -= rng.randint(1, self.max_delay_ms)
        return t
