"""Frozen settings of a stream worker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WorkerConfig:
    """Where the worker reads and writes, and how its windows behave."""

    bootstrap_servers: str
    registry_url: str
    data_dir: Path
    app_id: str = "tide-streams"
    source_topic: str = "clicks"
    output_topic: str = "clicks_per_minute"
    late_topic: str = "clicks.late"
    partitions: int = 4
    window_s: int = 60
    lateness_s: int = 10
    idle_close_s: float = 10.0
    web_port: int = 0
    session_timeout_s: float = 6.0
