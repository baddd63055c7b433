"""`tide lake tables` and `tide lake snapshots T`: what the lake holds and how it got there."""

from __future__ import annotations

import typer

from lake.time_travel import show_time
from tide.cli.context import settings
from tide.cli.output import OutputFormat, emit_table
from tide.ops.lake import lake_snapshots, lake_tables

app = typer.Typer(help="The Iceberg lake: its tables and their snapshots.", no_args_is_help=True)
OUTPUT = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")


@app.command()
def tables(output: OutputFormat = OUTPUT) -> None:
    """Each table: rows, data files, bytes, partitions, snapshots, its last commit and the
    event time its landed topics are complete through (valid-through)."""
    rows = [
        (t.name, t.rows, t.files, t.bytes, t.partitions, t.snapshots,
         None if t.last_commit_ms is None else show_time(t.last_commit_ms), t.valid_through)
        for t in lake_tables(settings())
    ]  # fmt: skip
    columns = ["table", "rows", "files", "bytes", "partitions", "snapshots", "last_commit",
               "valid_through"]  # fmt: skip
    emit_table(columns, rows, output, whole=("table", "last_commit", "valid_through"))


@app.command()
def snapshots(
    table: str = typer.Argument(..., help="A lake table (`tide lake tables` lists them)."),
    output: OutputFormat = OUTPUT,
) -> None:
    """TABLE's snapshots, oldest first: time, operation, what each added, the Kafka offsets
    it recorded (the next offset per topic and partition) — ids for `tide sql --as-of`."""
    entries = lake_snapshots(settings(), table)
    columns = ["snapshot_id", "time", "operation", "added_rows", "added_files", "offsets"]
    rows = [
        (e.snapshot_id, show_time(e.timestamp_ms), e.operation, e.added_rows, e.added_files,
         _offsets(e.offsets, output))
        for e in entries
    ]  # fmt: skip
    emit_table(columns, rows, output, whole=("snapshot_id", "time", "offsets"))


def _offsets(offsets: dict[str, dict[int, int]], output: OutputFormat) -> object:
    if output is OutputFormat.json:
        return {topic: {str(p): o for p, o in parts.items()} for topic, parts in offsets.items()}
    return "; ".join(
        f"{topic} " + ", ".join(f"{p}: {o}" for p, o in sorted(parts.items()))
        for topic, parts in offsets.items()
    )
