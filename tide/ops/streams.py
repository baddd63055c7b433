"""The worker's configuration from the settings: which jobs, with which timing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from producers.errors import RegistryRequestError, UnknownTopicError
from producers.registry_client import RegistryClient
from producers.topics import partitions_of
from streams.config import WorkerConfig
from streams.errors import StreamError
from streams.jobs.base import Timing, WindowJob
from streams.jobs.catalog import available_jobs, select
from streams.jobs.output_schema import output_schema_str
from streams.runner.settings import RunnerSettings
from streams.runner.transactions import check_transactions
from tide.settings import TideSettings


def job_timing(settings: TideSettings) -> Timing:
    s = settings.streams
    return Timing(
        s.window_seconds * 1000, s.lateness_seconds * 1000, s.out_of_orderness_seconds * 1000
    )


def known_jobs(settings: TideSettings, jobs_file: Path | None = None) -> dict[str, WindowJob]:
    return available_jobs(job_timing(settings), jobs_file or settings.streams.jobs_file)


def worker_config(
    settings: TideSettings, names: Sequence[str], jobs_file: Path | None = None
) -> WorkerConfig:
    """The jobs named (default: the settings' list, else all), checked against the broker."""
    jobs = select(known_jobs(settings, jobs_file), list(names) or settings.streams.jobs)
    with RegistryClient(settings.registry.url) as registry:
        for job in jobs:
            try:
                partitions_of(settings.kafka.bootstrap_servers, job.source)
            except UnknownTopicError as e:
                raise UnknownTopicError(f"job {job.name}: {e}") from e
            subject = f"{job.output_topic}-value"
            try:
                registry.register(subject, output_schema_str(job))
            except RegistryRequestError as e:
                raise StreamError(
                    f"job {job.name}: its output schema ({subject}) is refused: {e}"
                ) from e
    s = settings.streams
    if s.exactly_once:
        check_transactions(settings.kafka.bootstrap_servers)
    runner = RunnerSettings(
        bootstrap_servers=settings.kafka.bootstrap_servers,
        registry_url=settings.registry.url,
        data_dir=settings.data_dir.resolve(),
        partitions=settings.kafka.partitions,
        replication_factor=settings.kafka.replication_factor,
        idle_timeout_s=s.idle_timeout_seconds,
        max_skew_ms=s.max_skew_seconds * 1000,
        checkpoint_interval_s=s.checkpoint_interval_seconds,
        exactly_once=s.exactly_once,
    )
    return WorkerConfig(jobs=jobs, runner=runner, web_port=s.web_port)
