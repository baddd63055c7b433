"""`tide jobs ...`: submit batch jobs (tide.cli.jobs_submit_cmd) and see how they went: list,
status, logs, cancel."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import typer

from jobs.cancel import cancel as cancel_job
from jobs.joblog import log_path
from jobs.store import ACTIVE, JobRecord
from tide.cli.context import settings
from tide.cli.duration import parse_duration
from tide.cli.job_launch import store as _store
from tide.cli.jobs_submit_cmd import submit
from tide.cli.output import OutputFormat, emit_object, emit_table
from tide.errors import TideError

app = typer.Typer(help="Batch jobs: submit, list, status, logs, cancel.", no_args_is_help=True)
app.add_typer(submit, name="submit")
OUTPUT = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")
_FOLLOW_POLL_S = 0.2  # how often `logs --follow` looks for new lines


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


@app.command()
def logs(
    job_id: int,
    follow: bool = typer.Option(
        False, "--follow", "-f", help="Go on printing new lines until the job ends."
    ),
) -> None:
    """The job's log: its structured lines, and for a --detach job everything it printed."""
    store = _store()
    job = store.get(job_id)  # an unknown id fails here, naming it
    path = log_path(settings().data_dir / "jobs.sqlite", job_id)
    if not path.exists() and not (follow and job.state in ACTIVE):
        raise TideError(f"job {job_id} ({job.state}) kept no log at {path} (jobs run before "
                        "logs were kept have none)")  # fmt: skip
    position = 0
    while True:
        if path.exists():
            with path.open("rb") as f:
                f.seek(position)
                chunk = f.read()
            position += len(chunk)
            typer.echo(chunk.decode("utf-8", "replace"), nl=False)
        if not follow or job.state not in ACTIVE:
            return
        time.sleep(_FOLLOW_POLL_S)
        job = store.get(job_id)  # read once more after it ends: its last lines


@app.command()
def cancel(
    job_id: int,
    wait: str = typer.Option("30s", help="How long to wait for the job to stop."),
    output: OutputFormat = OUTPUT,
) -> None:
    """Cancel a queued or running job of this host: SIGTERM, then wait for it to record its
    end (a continuous land commits what it read first)."""
    job = cancel_job(_store(), job_id, parse_duration(wait, "--wait"))
    if output is OutputFormat.json:
        emit_object(job.as_dict(), output)
    else:
        typer.echo(f"job {job_id}: {job.state}" + (f" ({outcome(job)})" if outcome(job) else ""))


def iso(ts: float | None) -> str | None:
    """A stored epoch time as local ISO-8601, to the second."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds")


def flags(args: dict[str, Any]) -> str:
    """A job's arguments as the flags that submit it again."""
    return " ".join(
        f"--{k.replace('_', '-')}" + ("" if v is True else f" {v}")
        for k, v in args.items()
        if v is not None
    )


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
