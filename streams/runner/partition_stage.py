"""The partition stage: decode and pre-aggregate the source partitions this worker owns.

For each batch of a partition: decode column-wise, dead-letter bad records, count events into
the partition's open windows, and report to the merge stage what closed, which events came
after their window closed here, and the partition's watermark. Between batches, ``tick`` finds
idle partitions (caught up and silent for the idle timeout, and the broker confirms that the
partition ends where the reader is: see ``streams.runner.ends``) and raises their floor to follow
the others (see ``streams.windows.watermarks``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
from confluent_kafka import Message

from streams import metrics
from streams.aggregations.partials import PartialPlan
from streams.io import reports
from streams.io.decode import BatchDecoder
from streams.io.outputs import OutMessage, OutputWriter
from streams.jobs.base import WindowJob
from streams.runner.settings import Cadence
from streams.state.partition import BatchResult, Closed, PartitionState
from streams.windows.watermarks import Progress, confirmed_at_end, idle_floor, is_idle

log = logging.getLogger(__name__)
_DROP = ["t", "m", "pos"]
_value = Message.value
EndOf = Callable[[int, float], int | None]  # partition, asked since → confirmed end offset


@dataclass
class Owned:
    """A source partition this worker reads, and what it knows about its activity."""

    state: PartitionState
    last_activity: float
    end_offset: int | None = None  # where the partition ended when the reader last reached it
    last_report: float = 0.0
    reported_watermark: int | None = None
    dead_letters: int = 0
    events: int = 0
    idle: bool = False  # as last reported (a change is logged)

    @property
    def caught_up(self) -> bool:
        """The reader has reached the end of the partition as the broker last reported it."""
        return self.end_offset is not None and (self.state.next_offset or 0) >= self.end_offset

    @property
    def position(self) -> int:
        """Where the reader is: past its last record, or where it last met the end (which may
        lie past control records a read_committed reader never sees)."""
        return max(self.state.next_offset or 0, self.end_offset or 0)


class PartitionStage:
    def __init__(
        self,
        job: WindowJob,
        plan: PartialPlan,
        decoder: BatchDecoder,
        writer: OutputWriter,
        cadence: Cadence,
        clock: Callable[[], float],
        end_of: EndOf,
    ) -> None:
        self.job = job
        self._idle_timeout = cadence.idle_timeout_s
        self._end_of = end_of
        self._confirm_within = cadence.confirm_within_s
        self._heartbeat = cadence.heartbeat_s
        self._report_every = cadence.report_every_s
        self.plan = plan
        self._decoder = decoder
        self._writer = writer
        self._clock = clock
        self.owned: dict[int, Owned] = {}

    def own(self, state: PartitionState) -> None:
        self.owned[state.partition] = Owned(state, self._clock())

    def drop(self, partition: int) -> None:
        self.owned.pop(partition, None)

    def at_end(self, partition: int, end_offset: int) -> None:
        """The reader reached the end of ``partition``, which then ended at ``end_offset``.

        A partition read to its end without a single record (empty so far) is positioned there,
        so that it reports, follows the others when idle, and never holds windows back.
        """
        owned = self.owned.get(partition)
        if owned is None:
            return
        owned.end_offset = end_offset
        if owned.state.next_offset is None:
            owned.state.next_offset = end_offset

    def process(self, partition: int, messages: Sequence[Message]) -> list[OutMessage]:
        """Dead letters and (maybe) a report for a batch of one partition, in offset order."""
        owned = self.owned.get(partition)
        if owned is None:
            return []
        start = owned.state.next_offset
        if not messages:
            return []
        if start is not None and (messages[0].offset() or 0) < start:
            messages = [m for m in messages if (m.offset() or 0) >= start]  # a re-fetch
            if not messages:
                return []
        owned.last_activity = self._clock()
        owned.events += len(messages)
        values = list(map(_value, messages))
        decoded = self._decoder.decode(values)
        out = [self._dead_letter(partition, messages[pos], reason) for pos, reason in decoded.dead]
        owned.dead_letters += len(decoded.dead)
        result = owned.state.apply(decoded.table, (messages[-1].offset() or 0) + 1)
        metrics.EVENTS_COUNTED.labels(self.job.name).inc(result.counted)
        metrics.DEAD.labels(self.job.name).inc(len(decoded.dead))
        report = self._report(owned, result.closed, self._stragglers(result, messages))
        if report is not None:
            out.append(report)
        return out

    def raise_idle_floors(
        self, partitions: Sequence[int], view: Mapping[int, Progress]
    ) -> list[int]:
        """Let idle partitions follow the others; the partitions whose floor rose (they must be
        checkpointed before ``tick`` reports the windows the floor closes)."""
        now = self._clock()
        raised = []
        for p, owned in self.owned.items():
            if not self._idle(owned, now):
                continue
            known = {**view, **{q: self.progress(q) for q in self.owned}}
            floor = idle_floor(
                p, partitions, known, self.job.timing.size_ms, self.job.timing.lateness_ms
            )
            if owned.state.raise_floor(floor):
                raised.append(p)
        return raised

    def tick(self) -> list[OutMessage]:
        """Windows the (idle floor of the) watermark has closed, heartbeats, deferred reports."""
        now = self._clock()
        out = []
        for owned in self.owned.values():
            idle = self._idle(owned, now)
            if idle != owned.idle:
                self._log_idleness(owned, idle, now)
            closed = owned.state.close_ready()
            due = now - owned.last_report >= (self._heartbeat if idle else self._report_every)
            changed = owned.reported_watermark != owned.state.watermark_ms
            if not closed.empty or (due and (changed or idle)):
                message = self._report(owned, closed, None, force=True, idle=idle)
                if message is not None:
                    out.append(message)
        return out

    def early(self) -> list[OutMessage]:
        """Running partials of every open window, for early updates."""
        out = []
        for owned in self.owned.values():
            message = self._report(owned, owned.state.open_partials(), None, force=True, early=True)
            if message is not None:
                out.append(message)
        return out

    def progress(self, partition: int) -> Progress:
        owned = self.owned[partition]
        idle = self._idle(owned, self._clock())
        return Progress(owned.state.watermark_ms, owned.state.max_event_ms, idle)

    def _idle(self, owned: Owned, now: float) -> bool:
        """Caught up and silent for the idle timeout, and the partition's leader confirmed
        lately that the partition ends where the reader is (a stalled fetch is not idle)."""
        if not is_idle(owned.caught_up, now - owned.last_activity, self._idle_timeout):
            return False
        end = self._end_of(owned.state.partition, now - self._confirm_within)
        return confirmed_at_end(end, owned.position)

    def _log_idleness(self, owned: Owned, idle: bool, now: float) -> None:
        owned.idle = idle
        p = owned.state.partition
        log.info(
            "partition idle" if idle else "partition active",
            extra={"job": self.job.name, "partition": p, "position": owned.position,
                   "broker_end": self._end_of(p, now - self._confirm_within),
                   "silent_s": round(now - owned.last_activity, 1)},
        )  # fmt: skip

    def _report(
        self,
        owned: Owned,
        closed: Closed | None,
        stragglers: pa.Table | None,
        force: bool = False,
        idle: bool = False,
        early: bool = False,
    ) -> OutMessage | None:
        state = owned.state
        now = self._clock()
        has_data = (closed is not None and not closed.empty) or (
            stragglers is not None and stragglers.num_rows > 0
        )
        if not (has_data or force) and now - owned.last_report < self._report_every:
            return None
        if state.next_offset is None:
            return None  # nothing read yet: the partition's progress is unknown
        report = reports.Report(
            partition=state.partition,
            through=state.next_offset,
            watermark_ms=state.watermark_ms,
            max_event_ms=state.max_event_ms,
            idle=idle,
            rows=None if closed is None else closed.rows,
            hll=None if closed is None else closed.hll,
            stragglers=stragglers,
            early=early,
        )
        owned.last_report = now
        owned.reported_watermark = state.watermark_ms
        return OutMessage(
            self.job.exchange_topic,
            str(state.partition).encode(),
            reports.encode(report),
            [],
            partition=0,
        )

    def _stragglers(self, result: BatchResult, messages: Sequence[Message]) -> pa.Table | None:
        rows = result.stragglers
        if rows.num_rows == 0:
            return None
        chosen = [messages[pos] for pos in rows["pos"].to_pylist()]
        return (
            rows.drop_columns(_DROP)
            .append_column("offset", pa.array([m.offset() for m in chosen], pa.int64()))
            .append_column("key", pa.array([m.key() for m in chosen], pa.binary()))
            .append_column("value", pa.array([m.value() for m in chosen], pa.binary()))
        )

    def _dead_letter(self, partition: int, message: Message, reason: str) -> OutMessage:
        return self._writer.dead_letter(
            partition, message.offset() or 0, message.key(), message.value() or b"", reason
        )
