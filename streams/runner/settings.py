"""Frozen settings of a job runner (what the worker's entry point hands down)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunnerSettings:
    bootstrap_servers: str
    registry_url: str
    data_dir: Path
    partitions: int = 4
    replication_factor: int = 1
    batch_size: int = 20_000
    poll_timeout_s: float = 0.1
    idle_timeout_s: float = 10.0
    max_skew_ms: int = 3_600_000
    checkpoint_interval_s: float = 2.0
    report_interval_s: float = 0.1
    heartbeat_s: float = 1.0
    session_timeout_s: float = 6.0
    exactly_once: bool = False  # Kafka transactions around each checkpoint (see transactions.py)


@dataclass(frozen=True)
class Cadence:
    """How often the partition stage reports, and when a partition counts as idle."""

    idle_timeout_s: float = 10.0
    heartbeat_s: float = 1.0
    report_every_s: float = 0.1

    @property
    def confirm_within_s(self) -> float:
        """How recent the broker's word on a partition's end must be for it to count as idle:
        the end is asked every heartbeat, so two rounds may be missed, not more."""
        return 3 * self.heartbeat_s
