"""`tide worker`: run a stream worker (N of them share the partitions)."""

from __future__ import annotations

import os

from producers.topics import partitions_of
from streams.app import run_worker
from streams.config import WorkerConfig
from tide import logs
from tide.cli.context import settings


def worker() -> None:
    """Count clicks per page per event-time minute until Ctrl-C."""
    s = settings()
    partitions_of(s.kafka.bootstrap_servers, "clicks")  # a readable error if absent
    logs.configure(os.environ.get("TIDE_LOG_LEVEL", "INFO"))
    run_worker(
        WorkerConfig(
            bootstrap_servers=s.kafka.bootstrap_servers,
            registry_url=s.registry.url,
            data_dir=s.data_dir,
            partitions=s.kafka.partitions,
            window_s=s.streams.window_seconds,
            lateness_s=s.streams.lateness_seconds,
            idle_close_s=s.streams.idle_close_seconds,
            web_port=s.streams.web_port,
        )
    )
