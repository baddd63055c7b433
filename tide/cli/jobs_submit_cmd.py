"""`tide jobs submit ...`: land, expire, orphans, compact — in the foreground with progress,
``--detach``ed, or ``--every`` interval (tide.cli.job_launch)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any
from wsgiref.simple_server import WSGIServer

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from jobs.land import LandJob
from jobs.land_metrics import serve_metrics
from streams.orders.history import parse_time
from tide.cli.context import settings
from tide.cli.duration import parse_duration
from tide.cli.job_launch import DETACH, EVERY, Launch, launch, stop_on_signals
from tide.cli.output import OutputFormat, emit_object, errors
from tide.cli.size import parse_size
from tide.errors import TideError
from tide.ops import maintenance
from tide.ops.lake import Backfill, Follow, land_topic


class LandFormat(StrEnum):
    iceberg = "iceberg"
    parquet = "parquet"


FORMAT = typer.Option(
    LandFormat.iceberg, "--format",
    help="iceberg: an Iceberg table (tide sql reads it). parquet: plain hive-partitioned "
    "Parquet files under <warehouse>/parquet/<table>, named topic+partition+first offset.",
)  # fmt: skip
submit = typer.Typer(
    help="Submit a job (in the foreground, or --detach, or --every INTERVAL).",
    no_args_is_help=True,
)
OUTPUT = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")


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
    from_offset: int = typer.Option(
        None, min=0, help="Backfill into a new table from this offset of every partition."
    ),
    from_time: str = typer.Option(
        None,
        help="Backfill into a new table from the first record at or after this ISO 8601 "
        "time (UTC unless it says otherwise).",
    ),
    fmt: LandFormat = FORMAT,
    metrics_port: int = typer.Option(
        None, min=1, max=65535, help="Serve the job's /metrics (rows, commits, lag, freshness)."
    ),
    metrics_host: str = typer.Option("127.0.0.1", help="Address --metrics-port listens on."),
    detach: bool = DETACH,
    every: str = EVERY,
    output: OutputFormat = OUTPUT,
) -> None:
    """Land TOPIC in its Iceberg table, exactly once, resuming from the committed offsets."""
    every_s = parse_duration(commit_every, "--commit-every")
    if follow and every:
        raise TideError("--follow lands until stopped and --every repeats a bounded land: "
                        "give one of them")  # fmt: skip
    backfill = _backfill(from_offset, from_time)
    args = {"topic": topic, "table": table, "follow": follow or None,
            "commit_every": commit_every if follow else None,
            "commit_rows": commit_rows, "from_offset": from_offset,
            "from_time": from_time,
            "format": None if fmt is LandFormat.iceberg else fmt.value}  # fmt: skip

    def work() -> Any:
        with stop_on_signals(follow) as stop, _progress(topic, follow) as (bar, task):

            def advance(job: LandJob, rows: int) -> None:
                total = None if follow else job.total
                bar.update(task, total=total, advance=rows, commits=job.result.commits)

            plan = Follow(stop, every_s) if follow else None
            with _metrics(metrics_port, metrics_host) as watch:
                return land_topic(
                    settings(),
                    topic,
                    table,
                    advance,
                    plan,
                    commit_rows,
                    watch,
                    backfill,
                    parquet=fmt is LandFormat.parquet,
                )

    def show(result: Any) -> None:
        emit_object(
            {"table": result.table, "rows_landed": result.rows, "commits": result.commits,
             "offsets": result.offsets, "valid_through": result.valid_through,
             "bytes_in": result.bytes_in, "bytes_out": result.bytes_out},
            output,
        )  # fmt: skip

    launch("land", args, work, show, Launch(detach, every, output))


TABLE = typer.Option(..., "--table", help="A lake table (`tide lake tables` lists them).")


@submit.command()
def expire(
    table: str = TABLE,
    older_than: str = typer.Option(..., help="Expire snapshots older than this (7d, 12h, 0s)."),
    retain_last: int = typer.Option(1, min=1, help="Always keep this many newest snapshots."),
    detach: bool = DETACH,
    every: str = EVERY,
    output: OutputFormat = OUTPUT,
) -> None:
    """Expire TABLE's old snapshots; the current one and its landing offsets always stay."""
    age = parse_duration(older_than, "--older-than")
    args = {"table": table, "older_than": older_than, "retain_last": retain_last}
    launch(
        "expire", args, lambda: maintenance.expire(settings(), table, age, retain_last),
        lambda r: _one_line(
            {"table": r.table, "snapshots_expired": r.expired, "snapshots_kept": r.kept,
             "expired_ids": r.expired_ids},
            f"{r.table}: {r.expired} snapshot(s) expired, {r.kept} kept",
            output,
        ),
        Launch(detach, every, output),
    )  # fmt: skip


@submit.command()
def orphans(
    table: str = TABLE,
    older_than: str = typer.Option(
        "1h", help="Only files older than this (a commit in progress keeps its files)."
    ),
    detach: bool = DETACH,
    every: str = EVERY,
    output: OutputFormat = OUTPUT,
) -> None:
    """Delete TABLE's data and metadata files that no live snapshot references."""
    age = parse_duration(older_than, "--older-than")
    args = {"table": table, "older_than": older_than}
    launch(
        "orphans", args, lambda: maintenance.orphans(settings(), table, age),
        lambda r: _one_line(
            {"table": r.table, "files_removed": r.removed, "bytes_removed": r.bytes,
             "removed": r.removed_files},
            f"{r.table}: {r.removed} orphan file(s) removed ({r.bytes:,} bytes)",
            output,
        ),
        Launch(detach, every, output),
    )  # fmt: skip


@submit.command("compact")
def compact_table(
    table: str = TABLE,
    target_size: str = typer.Option("128MB", help="Pack small files into files this big."),
    detach: bool = DETACH,
    every: str = EVERY,
    output: OutputFormat = OUTPUT,
) -> None:
    """Rewrite the small files of each partition of TABLE into fewer, in one commit that keeps
    the landing offsets."""
    size = parse_size(target_size, "--target-size")
    args = {"table": table, "target_size": target_size}
    launch(
        "compact", args, lambda: maintenance.compaction(settings(), table, size),
        lambda r: _one_line(
            {"table": r.table, "files_before": r.files_before, "files_after": r.files_after,
             "files_rewritten": r.rewritten, "files_written": r.written,
             "snapshot_id": r.snapshot_id, "bytes_in": r.bytes_in, "bytes_out": r.bytes_out},
            f"{r.table}: {r.files_before} data files -> {r.files_after} "
            f"({r.rewritten} rewritten into {r.written}; {r.bytes_in:,} bytes -> "
            f"{r.bytes_out:,})",
            output,
        ),
        Launch(detach, every, output),
    )  # fmt: skip


def _one_line(obj: dict[str, Any], line: str, output: OutputFormat) -> None:
    """A maintenance job's result: ``obj`` as JSON, or ``line`` as text."""
    if output is OutputFormat.json:
        emit_object(obj, output)
    else:
        typer.echo(line)


def _backfill(from_offset: int | None, from_time: str | None) -> Backfill | None:
    if from_offset is not None and from_time is not None:
        raise TideError("give --from-offset or --from-time, not both")
    if from_time is not None:
        try:
            moment = parse_time(from_time, "--from-time")
        except ValueError as e:
            raise TideError(str(e)) from None
        return Backfill(time_ms=int(moment.timestamp() * 1000))
    return None if from_offset is None else Backfill(offset=from_offset)


@contextmanager
def _metrics(port: int | None, host: str) -> Iterator[Callable[[LandJob], None] | None]:
    """A ``watch`` for land_topic serving the job's /metrics on ``port`` (None: no metrics)."""
    if port is None:
        yield None
        return
    servers: list[WSGIServer] = []
    try:
        yield lambda job: servers.append(serve_metrics(job, port, host))
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


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
