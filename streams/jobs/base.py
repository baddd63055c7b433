"""How a windowed aggregation is declared: source, event time, key, window, lateness, aggregations.

A job is data, not code: the same declaration comes from Python (``streams/jobs/shipped.py``) or
from a TOML file (``streams/jobs/files.py``). Field paths are dotted names into the source
record; a segment that names a branch of a union of records (``payload.OrderPaid``) selects that
branch and is null for events of another branch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from streams.errors import JobDefinitionError

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class AggKind(StrEnum):
    """The aggregations a job can compute per key and window."""

    COUNT = "count"
    SUM = "sum"
    MIN = "min"
    MAX = "max"
    MEAN = "mean"
    DISTINCT = "distinct"  # approximate (HyperLogLog, see streams/aggregations/hll.py)


class ValueType(StrEnum):
    """Avro type of a sum, min or max in the output record."""

    LONG = "long"
    DOUBLE = "double"


@dataclass(frozen=True)
class Aggregation:
    """One output field: ``kind`` over the values at ``path`` (none for ``count``)."""

    name: str
    kind: AggKind
    path: str | None = None
    value_type: ValueType = ValueType.LONG

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise JobDefinitionError(f"aggregation name {self.name!r}: use lower_snake_case")
        if self.kind is AggKind.COUNT and self.path is not None:
            raise JobDefinitionError(f"aggregation {self.name!r}: count takes no field")
        if self.kind is not AggKind.COUNT and not self.path:
            raise JobDefinitionError(f"aggregation {self.name!r}: {self.kind} needs a field")
        if self.path is not None and not _PATH.match(self.path):
            raise JobDefinitionError(f"aggregation {self.name!r}: bad field path {self.path!r}")


@dataclass(frozen=True)
class Timing:
    """Window size and how long to wait for out-of-order and late events (milliseconds)."""

    size_ms: int
    lateness_ms: int = 10_000
    out_of_orderness_ms: int = 0

    def __post_init__(self) -> None:
        if self.size_ms <= 0:
            raise JobDefinitionError(f"window size must be positive, not {self.size_ms} ms")
        if self.lateness_ms < 0 or self.out_of_orderness_ms < 0:
            raise JobDefinitionError("lateness and out-of-orderness cannot be negative")


@dataclass(frozen=True)
class WindowJob:
    """A tumbling event-time window aggregation over one source topic."""

    name: str
    source: str
    time_path: str
    key_path: str
    aggregations: tuple[Aggregation, ...]
    timing: Timing
    where: str | None = None
    output: str | None = None
    key_name: str | None = None
    early_every_s: float | None = None
    description: str = ""
    aliases: tuple[str, ...] = ()  # earlier full names of the output record (Avro aliases)

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise JobDefinitionError(f"job name {self.name!r}: use lower_snake_case")
        for label, path in (
            ("time", self.time_path),
            ("key", self.key_path),
            ("where", self.where),
        ):
            if path is not None and not _PATH.match(path):
                raise JobDefinitionError(f"job {self.name}: bad {label} field path {path!r}")
        if not self.aggregations:
            raise JobDefinitionError(f"job {self.name}: declare at least one aggregation")
        names = [a.name for a in self.aggregations] + [self.output_key_name]
        reserved = {"window_start", "window_end", "emit"}
        clash = sorted({n for n in names if names.count(n) > 1} | (set(names) & reserved))
        if clash:
            raise JobDefinitionError(f"job {self.name}: output field names clash: {clash}")
        if self.early_every_s is not None and self.early_every_s <= 0:
            raise JobDefinitionError(f"job {self.name}: early_every must be positive")

    @property
    def output_key_name(self) -> str:
        return self.key_name or self.key_path.rsplit(".", 1)[-1]

    @property
    def output_topic(self) -> str:
        return self.output or self.name

    @property
    def late_topic(self) -> str:
        return f"{self.name}.late"

    @property
    def dlq_topic(self) -> str:
        return f"{self.source}.dlq"

    @property
    def exchange_topic(self) -> str:
        """Internal: partial aggregates and watermarks from the partition stage to the merge."""
        return f"{self.name}.exchange"

    @property
    def checkpoint_topic(self) -> str:
        """Internal, compacted: state and the source offsets it covers, per partition."""
        return f"{self.name}.checkpoints"

    @property
    def group_id(self) -> str:
        """The consumer group of the partition stage (source partitions)."""
        return f"tide-{self.name}"

    @property
    def merge_group_id(self) -> str:
        """The consumer group of the merge stage (the exchange's one partition)."""
        return f"tide-{self.name}-merge"

    @property
    def distinct_paths(self) -> list[str]:
        return [a.path for a in self.aggregations if a.kind is AggKind.DISTINCT and a.path]
