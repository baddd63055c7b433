"""`tide produce TOPIC`: publish generated events."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tide.cli.context import settings
from tide.cli.output import console, errors
from tide.ops.produce import generate


def produce(
    topic: str = typer.Argument(..., help="clicks or orders"),
    count: int = typer.Option(10_000, "--count", "-n", min=1, help="Events to publish."),
    rate: float = typer.Option(0.0, "--rate", "-r", min=0, help="Events/s; 0 = unlimited."),
    span: float = typer.Option(
        None, "--span", min=1, help="Spread event times over the last SPAN seconds."
    ),
    seed: int = typer.Option(None, help="Seed of the generator, for repeatable data."),
) -> None:
    """Publish COUNT generated events to TOPIC (validated Avro, acks=all, idempotent)."""
    with Progress(
        TextColumn(f"producing {topic}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=errors, transient=False,
    ) as bar:  # fmt: skip
        task = bar.add_task(topic, total=count)
        stats = generate(settings(), topic, count, rate, span, seed, lambda n: bar.advance(task, n))
    partitions = ", ".join(f"p{p}={n}" for p, n in sorted(stats.per_partition.items()))
    console.print(f"{stats.delivered} events acknowledged on {topic} ({partitions})")
