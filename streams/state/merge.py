"""The merge stage's state: partials of every source partition per (window, key), and firing.

It reads reports in exchange order and keeps, per source partition, the newest watermark and
how far it has read (``through``). A window fires once the operator watermark — the minimum over
all source partitions — reaches its end plus the allowed lateness: its partials are combined
into one final record per key, in window then key order, and dropped. A straggler (an event that
came after its window closed on its own partition) is judged against the operator watermark at
its place in the stream, as Flink would: if its window has fired it is late, otherwise it counts.

Idempotence: partials are cumulative per (window, key, source partition), so a newer report
replaces the older one; a report or straggler from before what was already read (a replay after
a crash of the partition stage) is ignored. Everything here is a function of the exchange log,
so a restarted merge stage that replays from its checkpoint fires the same records, byte for byte.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from streams.aggregations import hll
from streams.aggregations.partials import PartialPlan
from streams.io.reports import Report
from streams.jobs.base import Timing
from streams.state import codec
from streams.windows.watermarks import NEVER, Progress, operator_watermark

_MAGIC = b"TMS1"
WindowKey = tuple[int, str | None]
Source = tuple[int, int]  # (partition, -1) for its partial, (partition, offset) for a straggler
Registers = dict[int, dict[int, int]]  # aggregation index → register index → rank


@dataclass(frozen=True)
class Final:
    window_start_ms: int
    key: str | None
    values: dict[str, Any]
    early: bool = False


@dataclass(frozen=True)
class Late:
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    window_start_ms: int
    watermark_ms: int


@dataclass
class MergeState:
    """Everything the merge stage needs to resume exactly where its checkpoint was taken."""

    partitions: list[int]
    plan: PartialPlan
    timing: Timing
    progress: dict[int, Progress] = field(default_factory=dict)
    seen_through: dict[int, int] = field(default_factory=dict)
    fired_ms: int = NEVER
    next_offset: int | None = None
    partials: dict[WindowKey, dict[Source, dict[str, Any]]] = field(default_factory=dict)
    registers: dict[WindowKey, dict[Source, Registers]] = field(default_factory=dict)
    dirty: set[WindowKey] = field(default_factory=set)

    @property
    def operator_watermark_ms(self) -> int:
        return operator_watermark(self.partitions, self.progress)

    @property
    def open_windows(self) -> int:
        return len({w for w, _ in self.partials} | {w for w, _ in self.registers})

    def apply(self, report: Report) -> tuple[list[Final], list[Late]]:
        """Take one report; the finals it fires and the stragglers that turned out late."""
        p = report.partition
        seen = self.seen_through.get(p, -1)
        fresh = report.through >= seen
        if fresh:
            self._take_partials(p, report)
        finals: list[Final] = []
        lates: list[Late] = []
        if report.stragglers is not None and report.stragglers.num_rows:
            self._take_stragglers(p, seen, report.stragglers, finals, lates)
        self.seen_through[p] = max(seen, report.through)
        old = self.progress.get(p)
        watermark = (
            report.watermark_ms if old is None else max(old.watermark_ms, report.watermark_ms)
        )
        idle = report.idle if (fresh or old is None) else old.idle
        self.progress[p] = Progress(watermark, report.max_event_ms, idle)
        finals += self.fire(self.operator_watermark_ms)
        return finals, lates

    def fire(self, watermark_ms: int) -> list[Final]:
        """Fire every window whose end + lateness the watermark has reached."""
        if watermark_ms <= self.fired_ms:
            return []
        self.fired_ms = watermark_ms
        horizon = watermark_ms - self.timing.size_ms - self.timing.lateness_ms
        ready = sorted(
            {wk for wk in (*self.partials, *self.registers) if wk[0] <= horizon}, key=_order
        )
        finals = [self._final(wk) for wk in ready]
        for wk in ready:
            self.partials.pop(wk, None)
            self.registers.pop(wk, None)
            self.dirty.discard(wk)
        return finals

    def early(self) -> list[Final]:
        """Running values of the open windows that changed since the last call."""
        changed = sorted(self.dirty, key=_order)
        self.dirty.clear()
        return [self._final(wk, early=True) for wk in changed]

    def _final(self, wk: WindowKey, early: bool = False) -> Final:
        merged = self.plan.combine(self.partials.get(wk, {}).values())
        registers: Registers = defaultdict(dict)
        for regs in self.registers.get(wk, {}).values():
            for agg, per in regs.items():
                hll.merge_into(registers[agg], per.items())
        return Final(wk[0], wk[1], self.plan.finalize(merged, registers), early)

    def _take_partials(self, p: int, report: Report) -> None:
        horizon = self.fired_ms - self.timing.size_ms - self.timing.lateness_ms
        if report.rows is not None:
            for row in report.rows.to_pylist():
                wk = (row.pop("W"), row.pop("k"))
                if wk[0] > horizon:  # a fired window's partial can only be a replay
                    self.partials.setdefault(wk, {})[(p, -1)] = row
                    self.dirty.add(wk)
        if report.hll is not None:
            fresh: dict[WindowKey, Registers] = defaultdict(lambda: defaultdict(dict))
            for row in report.hll.to_pylist():
                fresh[(row["W"], row["k"])][row["agg"]][row["idx"]] = row["rank"]
            for wk, regs in fresh.items():
                if wk[0] > horizon:
                    self.registers.setdefault(wk, {})[(p, -1)] = {
                        a: dict(r) for a, r in regs.items()
                    }
                    self.dirty.add(wk)

    def _take_stragglers(
        self, p: int, seen: int, rows: pa.Table, finals: list[Final], lates: list[Late]
    ) -> None:
        others = [q for q in self.partitions if q != p]
        for row in rows.to_pylist():
            if row["offset"] < seen:
                continue  # replayed: decided when it first came
            watermark = min(
                [self.progress[q].watermark_ms if q in self.progress else NEVER for q in others]
                + [row["wm_before"]]
            )
            finals += self.fire(watermark)
            start = row["W"]
            if start + self.timing.size_ms + self.timing.lateness_ms <= self.fired_ms:
                lates.append(
                    Late(
                        p,
                        row["offset"],
                        row["key"],
                        row["value"],
                        start,
                        max(self.fired_ms, watermark),
                    )
                )
                continue
            wk = (start, row["k"])
            self.partials.setdefault(wk, {})[(p, row["offset"])] = self._single(row)
            regs = {
                i: {row[f"hi{i}"]: row[f"hr{i}"]}
                for i in self.plan.distinct
                if row.get(f"hi{i}") is not None
            }
            if regs:
                self.registers.setdefault(wk, {})[(p, row["offset"])] = regs
            self.dirty.add(wk)

    def _single(self, row: dict[str, Any]) -> dict[str, Any]:
        """The partial of one event."""
        out: dict[str, Any] = {}
        for c in self.plan.columns:
            if c.source is None:
                out[c.name] = 1
            elif c.batch_op == "count":
                out[c.name] = 0 if row.get(c.source) is None else 1
            else:
                out[c.name] = row.get(c.source)
        return out

    def snapshot(self) -> bytes:
        header = {
            "partitions": self.partitions,
            "fired_ms": self.fired_ms,
            "next_offset": self.next_offset,
            "seen_through": self.seen_through,
            "progress": {
                str(p): [g.watermark_ms, g.max_event_ms, g.idle] for p, g in self.progress.items()
            },
        }
        return codec.pack(_MAGIC, header, [self._partials_table(), self._registers_table()])

    def _partials_table(self) -> pa.Table:
        rows = [
            {"W": w, "k": k, "src_p": s[0], "src_o": s[1], **vals}
            for (w, k), per in self.partials.items()
            for s, vals in per.items()
        ]
        schema = pa.schema(
            [("W", pa.int64()), ("k", pa.string()), ("src_p", pa.int32()), ("src_o", pa.int64())]
            + [(c.name, c.type) for c in self.plan.columns]
        )
        return pa.Table.from_pylist(rows, schema=schema)

    def _registers_table(self) -> pa.Table:
        rows = [
            {"W": w, "k": k, "src_p": s[0], "src_o": s[1], "agg": a, "idx": i, "rank": r}
            for (w, k), per in self.registers.items()
            for s, regs in per.items()
            for a, reg in regs.items()
            for i, r in reg.items()
        ]
        schema = pa.schema(
            [
                ("W", pa.int64()),
                ("k", pa.string()),
                ("src_p", pa.int32()),
                ("src_o", pa.int64()),
                ("agg", pa.int16()),
                ("idx", pa.uint16()),
                ("rank", pa.uint8()),
            ]
        )
        return pa.Table.from_pylist(rows, schema=schema)

    @classmethod
    def restore(cls, data: bytes, plan: PartialPlan, timing: Timing) -> MergeState:
        header, (partials, registers) = codec.unpack(_MAGIC, data, 2)
        state = cls([int(p) for p in header["partitions"]], plan, timing)
        state.fired_ms = int(header["fired_ms"])
        state.next_offset = header["next_offset"]
        state.seen_through = {int(p): int(o) for p, o in header["seen_through"].items()}
        state.progress = {
            int(p): Progress(int(v[0]), v[1], bool(v[2])) for p, v in header["progress"].items()
        }
        for row in [] if partials is None else partials.to_pylist():
            wk, src = (row.pop("W"), row.pop("k")), (row.pop("src_p"), row.pop("src_o"))
            state.partials.setdefault(wk, {})[src] = row
        for row in [] if registers is None else registers.to_pylist():
            wk, src = (row["W"], row["k"]), (row["src_p"], row["src_o"])
            regs = state.registers.setdefault(wk, {}).setdefault(src, {})
            regs.setdefault(row["agg"], {})[row["idx"]] = row["rank"]
        return state

    def with_partitions(self, partitions: Sequence[int]) -> None:
        """The source topic's partitions as the broker lists them now."""
        self.partitions = sorted(set(self.partitions) | set(partitions))


def _order(wk: WindowKey) -> tuple[int, bool, str]:
    return wk[0], wk[1] is not None, wk[1] or ""
