"""Clicks per page per event-time minute: per-partition tumbling counts, emitted when closed."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from producers.deserializer import AvroDeserializer
from producers.serializer import AvroSerializer
from streams.windows import TumblingCounter, WindowCount

log = logging.getLogger(__name__)

Send = Callable[[str, bytes], Awaitable[None]]


class ClicksPerMinute:
    """The state and logic of the agent, apart from Faust so it can be reasoned about alone."""

    def __init__(
        self,
        decoder: AvroDeserializer,
        encoder: AvroSerializer,
        window_s: int,
        lateness_s: int,
        idle_close_s: float,
    ) -> None:
        self._decoder = decoder
        self._encoder = encoder
        self._size_ms = window_s * 1000
        self._lateness_ms = lateness_s * 1000
        self._idle_close_s = idle_close_s
        self._counters: dict[int, TumblingCounter] = {}
        self._last_seen: dict[int, float] = {}
        self.emitted = 0

    def counter(self, partition: int) -> TumblingCounter:
        if partition not in self._counters:
            self._counters[partition] = TumblingCounter(self._size_ms, self._lateness_ms)
        return self._counters[partition]

    async def on_click(self, partition: int, value: bytes, send: Send) -> bool:
        """Count one click; emit the windows it closes. False when the click was late."""
        click = self._decoder.decode(value)
        event_ms = int(click["event_time"].timestamp() * 1000)
        counter = self.counter(partition)
        self._last_seen[partition] = time.monotonic()
        accepted = counter.add(click["page"], event_ms)
        await self._emit(partition, counter.close_ready(), "WATERMARK", send)
        return accepted

    async def close_idle(self, send: Send) -> None:
        """Close every open window of partitions that have been quiet for ``idle_close_s``."""
        now = time.monotonic()
        for partition, counter in self._counters.items():
            idle = now - self._last_seen.get(partition, now)
            if counter.open_windows and idle >= self._idle_close_s:
                await self._emit(partition, counter.close_all(), "IDLE", send)

    def revoke(self, partitions: set[int]) -> None:
        """Forget partitions handed to another worker (their open windows go with them)."""
        for partition in partitions:
            self._counters.pop(partition, None)
            self._last_seen.pop(partition, None)

    async def _emit(
        self, partition: int, closed: list[WindowCount], reason: str, send: Send
    ) -> None:
        for result in closed:
            key = f"{result.key}|{result.window.start_ms}|{partition}"
            await send(key, self._encoder.encode(self._record(result, partition, reason)))
        if closed:
            self.emitted += len(closed)
            # Fields inline: Faust installs its own log format, which drops `extra`.
            log.info(
                "windows closed partition=%d results=%d clicks=%d reason=%s watermark_ms=%s",
                partition, len(closed), sum(r.count for r in closed), reason,
                self.counter(partition).watermark_ms,
            )  # fmt: skip

    @staticmethod
    def _record(result: WindowCount, partition: int, reason: str) -> dict[str, object]:
        return {
            "page": result.key,
            "window_start": datetime.fromtimestamp(result.window.start_ms / 1000, UTC),
            "window_end": datetime.fromtimestamp(result.window.end_ms / 1000, UTC),
            "clicks": result.count,
            "source_partition": partition,
            "closed_by": reason,
            "emitted_at": datetime.now(UTC),
        }
