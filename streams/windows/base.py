"""Tumbling event-time windows: ``[start, start + size)``, aligned to the epoch, in milliseconds."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True, order=True)
class Window:
    start_ms: int
    end_ms: int


def window_of(event_ms: int, size_ms: int) -> Window:
    """The tumbling window that holds ``event_ms``."""
    start = event_ms - event_ms % size_ms
    return Window(start, start + size_ms)


def window_starts(times: pa.Array, size_ms: int) -> pa.Array:
    """Start of the window of every event time (floor division, also before 1970)."""
    truncated = pc.multiply(pc.divide(times, size_ms), size_ms)
    below = pc.greater(truncated, times)  # truncation went up for negative times
    return pc.if_else(below, pc.subtract(truncated, size_ms), truncated)


def fires_at(window_start_ms: int, size_ms: int, lateness_ms: int) -> int:
    """The watermark at which a window's final result fires: its end plus the allowed lateness."""
    return window_start_ms + size_ms + lateness_ms
