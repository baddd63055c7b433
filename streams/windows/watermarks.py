"""Watermarks: per source partition, of the operator, and idleness — as pure functions.

- A partition's watermark is the highest event time it has delivered minus the allowed
  out-of-orderness, never lower than its *floor* (raised while the partition is idle, below).
- The operator watermark is the minimum over every source partition; a partition that has not
  reported yet holds it back (it may be lagging), so nothing fires on partial knowledge.
- A window fires when the operator watermark reaches its end plus the allowed lateness.
- A partition is idle only when it is caught up (its reader is at the end of the partition) and
  has delivered nothing for the idle timeout, and its leader confirms lately that it ends where
  the reader is (a fetch stalled on a dead leader delivers nothing too); a lagging partition is
  never idle. An idle
  partition *follows* the others: its floor rises to the lowest watermark of the non-idle
  partitions, so it stops holding the operator back, and when every partition is idle the floor
  rises past the window of the newest event seen anywhere, so the last windows fire too. When
  the partition resumes, its events count if their window has not fired yet — every window it
  followed past has fired, or is about to, everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from streams.windows.base import window_of

NEVER = -(2**62)  # below every event time: "no watermark yet"


@dataclass(frozen=True)
class Progress:
    """What a partition last reported: its watermark, newest event, and whether it is idle."""

    watermark_ms: int
    max_event_ms: int | None
    idle: bool


def partition_watermark(max_event_ms: int | None, out_of_orderness_ms: int, floor_ms: int) -> int:
    base = NEVER if max_event_ms is None else max_event_ms - out_of_orderness_ms
    return max(base, floor_ms)


def watermarks_before(
    times: pa.Array, max_event_ms: int | None, out_of_orderness_ms: int, floor_ms: int
) -> pa.Array:
    """The partition's watermark just before each event of ``times`` (in offset order)."""
    if len(times) == 0:
        return pa.array([], pa.int64())
    running = pc.cumulative_max(times)
    first = NEVER if max_event_ms is None else max_event_ms
    before = pa.concat_arrays([pa.array([first], pa.int64()), running.slice(0, len(times) - 1)])
    if max_event_ms is not None:
        before = pc.max_element_wise(before, pa.scalar(max_event_ms, pa.int64()))
    lowered = pc.subtract(before, out_of_orderness_ms)
    return pc.max_element_wise(lowered, pa.scalar(floor_ms, pa.int64()))


def is_idle(caught_up: bool, silent_s: float, idle_timeout_s: float) -> bool:
    """Idle means caught up *and* silent for the timeout; a lagging partition never is."""
    return caught_up and silent_s >= idle_timeout_s


def confirmed_at_end(broker_end: int | None, position: int) -> bool:
    """The broker said lately that the partition ends at or before the reader's position; no
    recent word (its leader did not answer) is no confirmation: a stalled fetch is not idle."""
    return broker_end is not None and broker_end <= position


def operator_watermark(partitions: Sequence[int], progress: Mapping[int, Progress]) -> int:
    """The minimum watermark over every partition; ``NEVER`` while one has not reported."""
    if not partitions or any(p not in progress for p in partitions):
        return NEVER
    return min(progress[p].watermark_ms for p in partitions)


def idle_floor(
    own: int,
    partitions: Sequence[int],
    progress: Mapping[int, Progress],
    size_ms: int,
    lateness_ms: int,
) -> int:
    """The floor an idle partition ``own`` may rise to, given what the others reported.

    The lowest watermark of the non-idle others; if every other partition is idle too, past the
    window of the newest event seen anywhere (so that window fires). ``NEVER`` when a partition
    has not reported: it may be lagging, and following it blindly could fire windows early.
    """
    others = [p for p in partitions if p != own]
    if any(p not in progress for p in others):
        return NEVER
    active = [progress[p].watermark_ms for p in others if not progress[p].idle]
    if active:
        return min(active)
    newest = [progress[p].max_event_ms for p in partitions if p in progress]
    known = [t for t in newest if t is not None]
    if not known:
        return NEVER
    return window_of(max(known), size_ms).end_ms + lateness_ms
