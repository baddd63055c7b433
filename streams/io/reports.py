"""Reports: what the partition stage tells the merge stage, one message per source partition.

A report says: "partition ``p``, having read every offset below ``through``, has watermark
``watermark_ms`` (newest event ``max_event_ms``, idle or not); here are the cumulative partials
of the windows that closed (or, for early updates, are still open), and the events that arrived
after their window had closed on this partition". All reports of a job go to the single
partition of its exchange topic, so the merge stage reads them in one order; a replayed report
(``through`` not past what was already seen) changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from streams.state import codec

_MAGIC = b"TRP1"


@dataclass(frozen=True)
class Report:
    partition: int
    through: int
    watermark_ms: int
    max_event_ms: int | None
    idle: bool
    rows: pa.Table | None = None
    hll: pa.Table | None = None
    stragglers: pa.Table | None = None
    early: bool = False

    @property
    def has_data(self) -> bool:
        return any(t is not None and t.num_rows for t in (self.rows, self.hll, self.stragglers))


def encode(report: Report) -> bytes:
    header = {
        "p": report.partition,
        "through": report.through,
        "wm": report.watermark_ms,
        "max": report.max_event_ms,
        "idle": report.idle,
        "early": report.early,
    }
    return codec.pack(_MAGIC, header, [report.rows, report.hll, report.stragglers])


def decode(data: bytes) -> Report:
    header, (rows, hll, stragglers) = codec.unpack(_MAGIC, data, 3)
    return Report(
        partition=int(header["p"]),
        through=int(header["through"]),
        watermark_ms=int(header["wm"]),
        max_event_ms=header["max"],
        idle=bool(header["idle"]),
        rows=rows,
        hll=hll,
        stragglers=stragglers,
        early=bool(header.get("early", False)),
    )


def decode_progress(data: bytes) -> tuple[int, int, int | None, bool]:
    """(partition, watermark, newest event, idle) of a report, without reading its tables."""
    header, _ = codec.unpack(_MAGIC, data, 0)
    return int(header["p"]), int(header["wm"]), header["max"], bool(header["idle"])
