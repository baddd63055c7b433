"""Frozen settings of a stream worker process."""

from __future__ import annotations

from dataclasses import dataclass

from streams.jobs.base import WindowJob
from streams.runner.settings import RunnerSettings


@dataclass(frozen=True)
class WorkerConfig:
    """The jobs a worker runs, how their runners behave, and where its web views listen."""

    jobs: tuple[WindowJob, ...]
    runner: RunnerSettings
    app_id: str = "tide-worker"
    web_host: str = "127.0.0.1"
    web_port: int = 0  # 0: a free port, printed at start
