"""Event-time tumbling windows for one partition: counts per key, closed by the watermark."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Window:
    start_ms: int
    end_ms: int


def window_of(event_ms: int, size_ms: int) -> Window:
    """The tumbling window ``[start, start + size)`` that holds ``event_ms``."""
    start = event_ms - event_ms % size_ms
    return Window(start, start + size_ms)


@dataclass(frozen=True)
class WindowCount:
    key: str
    window: Window
    count: int


@dataclass
class TumblingCounter:
    """Counts per key per window on one partition.

    The watermark is the highest event time seen minus ``lateness_ms``; a window closes when the
    watermark reaches its end. An event whose window is already closed is late: it is refused
    (``add`` returns False) so the caller can route it aside, never counted twice.
    """

    size_ms: int
    lateness_ms: int
    max_event_ms: int | None = None
    closed_until_ms: int | None = None
    late: int = 0
    _counts: dict[Window, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )

    @property
    def watermark_ms(self) -> int | None:
        return None if self.max_event_ms is None else self.max_event_ms - self.lateness_ms

    @property
    def open_windows(self) -> int:
        return len(self._counts)

    def add(self, key: str, event_ms: int) -> bool:
        window = window_of(event_ms, self.size_ms)
        if self.closed_until_ms is not None and window.end_ms <= self.closed_until_ms:
            self.late += 1
            return False
        self._counts[window][key] += 1
        if self.max_event_ms is None or event_ms > self.max_event_ms:
            self.max_event_ms = event_ms
        return True

    def close_ready(self) -> list[WindowCount]:
        """Close every window whose end the watermark has reached."""
        watermark = self.watermark_ms
        return [] if watermark is None else self._close_through(watermark)

    def close_all(self) -> list[WindowCount]:
        """Close every open window (the partition is idle); later events for them are late."""
        if not self._counts:
            return []
        return self._close_through(max(w.end_ms for w in self._counts))

    def _close_through(self, until_ms: int) -> list[WindowCount]:
        ready = sorted(w for w in self._counts if w.end_ms <= until_ms)
        closed = [
            WindowCount(key, w, n) for w in ready for key, n in sorted(self._counts.pop(w).items())
        ]
        if self.closed_until_ms is None or until_ms > self.closed_until_ms:
            self.closed_until_ms = until_ms
        return closed
