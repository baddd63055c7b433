"""`tide produce ...`: publish generated events or a file of events."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from producers.errors import ProducerError
from tide.cli.context import settings
from tide.cli.output import OutputFormat, console, emit_object, errors
from tide.ops.produce import drain_outbox, generate, ingest_file, serve_http

app = typer.Typer(help="Publish events (validated Avro, acks=all, idempotent, outbox fallback).",
                  no_args_is_help=True)  # fmt: skip
COUNT = typer.Option(10_000, "--count", "-n", min=1, help="Events to publish.")
RATE = typer.Option(0.0, "--rate", "-r", min=0, help="Events/s; 0 = unlimited.")
SPAN = typer.Option(None, "--span", min=1, help="Spread event times over the last SPAN seconds.")
SEED = typer.Option(None, help="Seed of the generator, for repeatable data.")
LATE = typer.Option(
    0.05, "--late-share", min=0, max=1, help="Share of events that arrive out of order (up to 8 s)."
)
PATH = typer.Argument(..., help="One record per line, in Avro's JSON encoding.")
OUTPUT = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")
REJECTS = typer.Option(
    None, "--rejects", help="Write every refused line here (JSONL: line, reason, input)."
)


@contextmanager
def _bar(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=errors) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _generated(
    topic: str, count: int, rate: float, span: float | None, seed: int | None, late: float
) -> None:
    with _bar(f"producing {topic}", count) as advance:
        stats = generate(settings(), topic, count, rate, span, seed, advance, late)
    partitions = ", ".join(f"p{p}={n}" for p, n in sorted(stats.per_partition.items()))
    console.print(f"{stats.delivered} events acknowledged on {topic} ({partitions})")


@app.command()
def clicks(
    count: int = COUNT, rate: float = RATE, span: float = SPAN, seed: int = SEED, late: float = LATE
) -> None:
    """Generated clickstream, keyed by user_id (hot pages, sessions, some late events)."""
    _generated("clicks", count, rate, span, seed, late)


@app.command()
def orders(
    count: int = COUNT, rate: float = RATE, span: float = SPAN, seed: int = SEED, late: float = LATE
) -> None:
    """Generated order lifecycles keyed by order_id: placed, paid or cancelled, shipped."""
    _generated("orders", count, rate, span, seed, late)


@app.command()
def file(
    path: Path = PATH,
    topic: str = typer.Option(..., "--topic", "-t", help="Topic (its schema is in schemas/)."),
    key_field: str = typer.Option(None, help="Field holding the key (default per topic)."),
    rejects: Path = REJECTS,
    output: OutputFormat = OUTPUT,
) -> None:
    """Publish a JSONL file; lines that do not match the schema go to <topic>.dlq."""
    with _bar(f"ingesting {path.name}", None) as advance, _rejects_sink(rejects) as rejected:
        summary = ingest_file(settings(), path, topic, key_field, advance, rejected)
    shown = [{"line": n, "reason": r} for n, r in summary.first_rejects]
    result = {"lines": summary.lines, "accepted": summary.accepted,
              "dead_lettered": summary.dead_lettered, "dlq_topic": f"{topic}.dlq"}  # fmt: skip
    if output is OutputFormat.json:
        emit_object({**result, "first_rejects": shown, "rejects_file": rejects and str(rejects)},
                    output)  # fmt: skip
        return
    emit_object(result, output)
    for reject in shown:
        errors.print(f"  line {reject['line']}: {reject['reason']}", highlight=False)
    more = summary.dead_lettered - len(shown)
    if more > 0 or (shown and rejects is None):
        where = f"all in {rejects}" if rejects else "all of them: --rejects FILE"
        errors.print(f"  ({more} more; {where}; read {topic}.dlq with `tide consume`)")


@contextmanager
def _rejects_sink(path: Path | None) -> Iterator[Callable[[int, str, str], None] | None]:
    """A writer of refused lines to ``path`` (JSONL), or None without one."""
    if path is None:
        yield None
        return
    try:
        handle = path.open("w", encoding="utf-8")
    except OSError as e:
        raise ProducerError(f"cannot write the rejects to {path}: {e.strerror}") from e

    def write(number: int, reason: str, line: str) -> None:
        handle.write(json.dumps({"line": number, "reason": reason, "input": line}) + "\n")

    with handle:
        yield write


@app.command()
def drain() -> None:
    """Replay the events the outbox kept while Kafka or the registry was down."""
    console.print(f"{drain_outbox(settings())} events replayed from the outbox")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Bind address."),
    port: int = typer.Option(8082, help="Port (REST Proxy's usual one)."),
) -> None:
    """HTTP ingestion: POST /topics/{topic} with {"records": [{"key":..,"value":..}]}."""
    console.print(f"ingestion endpoint at http://{host}:{port}/topics/{{topic}}")
    serve_http(settings(), host, port)
