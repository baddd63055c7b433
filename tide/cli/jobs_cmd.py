"""`tide jobs ...`: submit batch jobs and see how they went."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from jobs.land import LandJob
from jobs.runner import run_logged
from jobs.store import JobRecord, JobStore
from tide.cli.context import settings
from tide.cli.duration import parse_duration
from tide.cli.output import OutputFormat, emit_object, emit_table, errors
from tide.cli.size import parse_size
from tide.ops import maintenance
from tide.ops.lake import Follow, land_topic

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
    follow: bool = typer.Option(
        False,
        "--follow",
        "-f",
        help="Keep landing what arrives until SIGTERM or Ctrl-C (then commit and exit 0).",
    ),
    commit_every: str = typer.Option(
        "5s", help="With --follow: commit at least this often (30s, 500ms, 2m)."
    ),
    commit_rows: int = typer.Option(
        None, min=1, help="Commit whenever this many rows are read (default 50,000)."
    ),
    output: OutputFormat = OUTPUT,
) -> None:
    """Land TOPIC in its Iceberg table, exactly once, resuming from the committed offsets."""
    every_s = parse_duration(commit_every, "--commit-every")
    args = {"topic": topic, "table": table, "follow": follow or None,
            "commit_every": commit_every if follow else None,
            "commit_rows": commit_rows}  # fmt: skip
    with _stop_on_signals(follow) as stop, _progress(topic, follow) as (bar, task):

        def advance(job: LandJob, rows: int) -> None:
            total = None if follow else job.total
            bar.update(task, total=total, advance=rows, commits=job.result.commits)

        plan = Follow(stop, every_s) if follow else None
        result = run_logged(
            _store(), "land", args,
            lambda: land_topic(settings(), topic, table, advance, plan, commit_rows),
        )  # fmt: skip
    emit_object(
        {"table": result.table, "rows_landed": result.rows, "commits": result.commits,
         "offsets": result.offsets, "valid_through": result.valid_through},
        output,
    )  # fmt: skip


TABLE = typer.Option(..., "--table", help="A lake table (`tide lake tables` lists them).")


@submit.command()
def expire(
    table: str = TABLE,
    older_than: str = typer.Option(..., help="Expire snapshots older than this (7d, 12h, 0s)."),
    retain_last: int = typer.Option(1, min=1, help="Always keep this many newest snapshots."),
    output: OutputFormat = OUTPUT,
) -> None:
    """Expire TABLE's old snapshots; the current one and its landing offsets always stay."""
    age = parse_duration(older_than, "--older-than")
    args = {"table": table, "older_than": older_than, "retain_last": retain_last}
    result = run_logged(
        _store(), "expire", args,
        lambda: maintenance.expire(settings(), table, age, retain_last),
    )  # fmt: skip
    _one_line(
        {"table": result.table, "snapshots_expired": result.expired,
         "snapshots_kept": result.kept, "expired_ids": result.expired_ids},
        f"{result.table}: {result.expired} snapshot(s) expired, {result.kept} kept",
        output,
    )  # fmt: skip


@submit.command()
def orphans(
    table: str = TABLE,
    older_than: str = typer.Option(
        "1h", help="Only files older than this (a commit in progress keeps its files)."
    ),
    output: OutputFormat = OUTPUT,
) -> None:
    """Delete TABLE's data and metadata files that no live snapshot references."""
    age = parse_duration(older_than, "--older-than")
    args = {"table": table, "older_than": older_than}
    result = run_logged(
        _store(), "orphans", args, lambda: maintenance.orphans(settings(), table, age)
    )
    _one_line(
        {"table": result.table, "files_removed": result.removed, "bytes_removed": result.bytes,
         "removed": result.removed_files},
        f"{result.table}: {result.removed} orphan file(s) removed ({result.bytes:,} bytes)",
        output,
    )  # fmt: skip


@submit.command("compact")
def compact_table(
    table: str = TABLE,
    target_size: str = typer.Option("128MB", help="Pack small files into files this big."),
    output: OutputFormat = OUTPUT,
) -> None:
    """Rewrite the small files of each partition of TABLE into fewer, in one commit that keeps
    the landing offsets."""
    size = parse_size(target_size, "--target-size")
    args = {"table": table, "target_size": target_size}
    r = run_logged(
        _store(), "compact", args, lambda: maintenance.compaction(settings(), table, size)
    )
    _one_line(
        {"table": r.table, "files_before": r.files_before, "files_after": r.files_after,
         "files_rewritten": r.rewritten, "files_written": r.written, "snapshot_id": r.snapshot_id},
        f"{r.table}: {r.files_before} data files -> {r.files_after} "
        f"({r.rewritten} rewritten into {r.written})",
        output,
    )  # fmt: skip


def _one_line(obj: dict[str, Any], line: str, output: OutputFormat) -> None:
    """A maintenance job's result: ``obj`` as JSON, or ``line`` as text."""
    if output is OutputFormat.json:
        emit_object(obj, output)
    else:
        typer.echo(line)


@contextmanager
def _progress(topic: str, follow: bool) -> Iterator[tuple[Progress, Any]]:
    """A bar to the topic's end; when following, rows and commits so far."""
    columns = (
        [TextColumn(f"landing {topic} (following)"),
         TextColumn("{task.completed:,.0f} rows, {task.fields[commits]} commits")]
        if follow
        else [TextColumn(f"landing {topic}"), BarColumn(), MofNCompleteColumn()]
    )  # fmt: skip
    with Progress(*columns, TimeElapsedColumn(), console=errors) as bar:
        yield bar, bar.add_task(topic, total=None, commits=0)


@contextmanager
def _stop_on_signals(enabled: bool) -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT while inside, if ``enabled`` (the previous handlers
    restored after)."""
    stop = threading.Event()
    signals = (signal.SIGTERM, signal.SIGINT) if enabled else ()
    previous = {sig: signal.signal(sig, lambda _n, _f: stop.set()) for sig in signals}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


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
