"""The merge stage: read the exchange, combine every partition's partials, fire the finals."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from confluent_kafka import Message

from streams import metrics
from streams.errors import ExchangeError
from streams.io import reports
from streams.io.outputs import OutMessage, OutputWriter, iso
from streams.state.merge import Final, MergeState

log = logging.getLogger(__name__)


@dataclass
class MergeCounts:
    finals: int = 0
    early: int = 0
    late: int = 0
    corrupt: int = 0


class MergeStage:
    """Owns the merge state while this worker holds the exchange partition."""

    def __init__(self, state: MergeState, writer: OutputWriter) -> None:
        self.state = state
        self._writer = writer
        self.counts = MergeCounts()
        self.emit_lags_s: list[float] = []

    def process(self, messages: Sequence[Message]) -> list[OutMessage]:
        out: list[OutMessage] = []
        for message in messages:
            offset = message.offset() or 0
            if self.state.next_offset is not None and offset < self.state.next_offset:
                continue
            try:
                report = reports.decode(message.value() or b"")
            except ExchangeError as e:
                self.counts.corrupt += 1
                log.error("exchange message skipped", extra={"offset": offset, "reason": str(e)})
                self.state.next_offset = offset + 1
                continue
            finals, lates = self.state.apply(report)
            self.state.next_offset = offset + 1
            out += self._finals(finals)
            out += [self._writer.late(late) for late in lates]
            self.counts.late += len(lates)
            metrics.LATE.labels(self._writer.job.name).inc(len(lates))
        return out

    def early(self) -> list[OutMessage]:
        return self._finals(self.state.early())

    def _finals(self, finals: list[Final]) -> list[OutMessage]:
        now_ms = time.time() * 1000
        timing = self.state.timing
        final_windows = sorted({f.window_start_ms for f in finals if not f.early})
        if final_windows:
            log.info(
                "windows fired",
                extra={
                    "job": self._writer.job.name,
                    "windows": len(final_windows),
                    "results": sum(1 for f in finals if not f.early),
                    "first": iso(final_windows[0]),
                    "last": iso(final_windows[-1]),
                    "watermark": iso(self.state.operator_watermark_ms),
                },
            )
        for final in finals:
            if final.early:
                self.counts.early += 1
                continue
            self.counts.finals += 1
            due = final.window_start_ms + timing.size_ms + timing.lateness_ms
            self.emit_lags_s.append((now_ms - due) / 1000)
        job = self._writer.job.name
        metrics.FINALS.labels(job, "FINAL").inc(sum(1 for f in finals if not f.early))
        metrics.FINALS.labels(job, "EARLY").inc(sum(1 for f in finals if f.early))
        return [self._writer.final(f) for f in finals]
