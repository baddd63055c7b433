"""What the worker writes: final records, late events, dead letters — values, keys and headers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from producers.serializer import AvroSerializer
from streams.jobs.base import WindowJob
from streams.state.merge import Final, Late

Headers = list[tuple[str, str | bytes | None]]


@dataclass(frozen=True)
class OutMessage:
    topic: str
    key: bytes | None
    value: bytes
    headers: Headers
    partition: int | None = None


def iso(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def output_key(window_start_ms: int, key: str | None) -> bytes:
    """``window_start|key``: the same window and key always give the same message key."""
    return f"{iso(window_start_ms)}|{'' if key is None else key}".encode()


class OutputWriter:
    """Builds the messages of one job (Avro finals through the registry-backed serializer)."""

    def __init__(self, job: WindowJob, serializer: AvroSerializer) -> None:
        self.job = job
        self._serializer = serializer
        self._size = job.timing.size_ms

    def final(self, final: Final) -> OutMessage:
        record = {
            self.job.output_key_name: final.key,
            "window_start": final.window_start_ms,
            "window_end": final.window_start_ms + self._size,
            **final.values,
            "emit": "EARLY" if final.early else "FINAL",
        }
        value = self._serializer.encode(record)
        return OutMessage(
            self.job.output_topic, output_key(final.window_start_ms, final.key), value, []
        )

    def late(self, late: Late) -> OutMessage:
        headers = [
            ("tide.reason", b"window fired"),
            ("tide.job", self.job.name.encode()),
            ("tide.late.window_start", iso(late.window_start_ms).encode()),
            ("tide.late.window_end", iso(late.window_start_ms + self._size).encode()),
            ("tide.late.watermark", iso(late.watermark_ms).encode()),
            *self._source(late.partition, late.offset),
        ]
        return OutMessage(self.job.late_topic, late.key, late.value, headers)

    def dead_letter(
        self, partition: int, offset: int, key: bytes | None, value: bytes, reason: str
    ) -> OutMessage:
        headers = [
            ("tide.dlq.reason", reason.encode()),
            ("tide.dlq.source", f"{self.job.source}:{partition}:{offset}".encode()),
            ("tide.job", self.job.name.encode()),
            *self._source(partition, offset),
        ]
        return OutMessage(self.job.dlq_topic, key, value, headers)

    def _source(self, partition: int, offset: int) -> Headers:
        return [
            ("tide.source.topic", self.job.source.encode()),
            ("tide.source.partition", str(partition).encode()),
            ("tide.source.offset", str(offset).encode()),
        ]
