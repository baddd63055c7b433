"""`tide jobs ...`: submit batch jobs and see how they went."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from jobs.land import LandJob
from jobs.runner import run_logged
from jobs.store import JobRecord, JobStore
from tide.cli.context import settings
from tide.cli.output import OutputFormat, emit_object, emit_table, errors
from tide.ops.lake import land_topic

app = typer.Typer(help="Batch jobs: submit, list, status.", no_args_is_help=True)
submit = typer.Typer(help="Submit a job (it runs in the foreground).", no_args_is_help=True)
app.add_typer(submit, name="submit")
OUTPUT = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")


def _store() -> JobStore:
    return JobStore(settings().data_dir / "jobs.sqlite")


@submit.command()
def land(
    topic: str = typer.Option(..., "--topic", "-t", help="Topic to land."),
    table: str = typer.Option(None, help="Lake table (default: the topic's name)."),
    output: OutputFormat = OUTPUT,
) -> None:
    """Land TOPIC in its Iceberg table, exactly once, resuming from the committed offsets."""
    with Progress(
        TextColumn(f"landing {topic}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=errors,
    ) as bar:  # fmt: skip
        task = bar.add_task(topic, total=None)

        def advance(job: LandJob, rows: int) -> None:
            bar.update(task, total=job.total, advance=rows)

        result = run_logged(
            _store(), "land", {"topic": topic, "table": table},
            lambda: land_topic(settings(), topic, table, advance),
        )  # fmt: skip
    emit_object(
        {"table": result.table, "rows_landed": result.rows, "commits": result.commits,
         "offsets": result.offsets},
        output,
    )  # fmt: skip


@app.command("list")
def list_jobs(output: OutputFormat = OUTPUT) -> None:
    """The most recent jobs, newest first."""
    rows = [
        (j.id, j.kind, flags(j.args), j.state, iso(j.submitted_at), duration(j), outcome(j))
        for j in _store().list()
    ]
    emit_table(["id", "kind", "args", "state", "submitted", "took", "result"], rows, output)


@app.command()
def status(job_id: int, output: OutputFormat = OUTPUT) -> None:
    """Everything known about one job."""
    job = _store().get(job_id)
    emit_object(
        {**job.as_dict(), "args": flags(job.args), "submitted_at": iso(job.submitted_at),
         "finished_at": iso(job.finished_at), "took": duration(job)},
        output,
    )  # fmt: skip


def iso(ts: float | None) -> str | None:
    """A stored epoch time as local ISO-8601, to the second."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds")


def flags(args: dict[str, Any]) -> str:
    """A job's arguments as the flags that submit it again."""
    return " ".join(f"--{k.replace('_', '-')} {v}" for k, v in args.items() if v is not None)


def duration(job: JobRecord) -> str | None:
    if job.finished_at is None:
        return None
    seconds = job.finished_at - job.submitted_at
    return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)} min {seconds % 60:.0f} s"


def outcome(job: JobRecord) -> str:
    if job.error:
        return job.error
    if not job.result:
        return ""
    return ", ".join(f"{k}={v}" for k, v in job.result.items() if not isinstance(v, dict | list))
