"""`tide worker`: run window jobs (N workers share each job's partitions)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from streams.app import run_worker
from tide import logs
from tide.cli.context import settings
from tide.cli.output import OutputFormat, emit_table
from tide.ops.streams import known_jobs, worker_config

JOB = typer.Option([], "--job", "-j", help="Job to run (repeatable); default: every known job.")
JOBS_FILE = typer.Option(None, "--jobs-file", help="TOML file of more window jobs.")
LIST_JOBS = typer.Option(False, "--list-jobs", help="Show the jobs and exit.")
OUTPUT = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")
EXACTLY_ONCE = typer.Option(
    None,
    "--exactly-once/--no-exactly-once",
    help="Kafka transactions around each checkpoint (Apache Kafka only).",
)


def worker(
    job: list[str] = JOB,
    jobs_file: Path | None = JOBS_FILE,
    list_jobs: bool = LIST_JOBS,
    output: OutputFormat = OUTPUT,
    exactly_once: bool | None = EXACTLY_ONCE,
) -> None:
    """Run event-time window jobs until Ctrl-C; `--list-jobs` shows what can run."""
    s = settings()
    if list_jobs:
        columns = ["job", "source", "key", "window_s", "lateness_s", "aggregations", "output"]
        rows = [
            [
                j.name,
                j.source,
                j.key_path,
                j.timing.size_ms / 1000,
                j.timing.lateness_ms / 1000,
                ", ".join(f"{a.name}={a.kind}({a.path or ''})" for a in j.aggregations),
                j.output_topic,
            ]
            for j in known_jobs(s, jobs_file).values()
        ]
        emit_table(columns, rows, output, title="window jobs")
        return
    if exactly_once is not None:
        s = s.model_copy(
            update={"streams": s.streams.model_copy(update={"exactly_once": exactly_once})}
        )
    config = worker_config(s, job, jobs_file)
    logs.configure(os.environ.get("TIDE_LOG_LEVEL", "INFO"))
    run_worker(config)
