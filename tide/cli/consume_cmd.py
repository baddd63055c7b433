"""`tide consume TOPIC`: print a topic's records, decoded through the schema registry."""

from __future__ import annotations

import json
import os
import sys

import typer

from tide.cli.context import settings
from tide.cli.output import OutputFormat
from tide.ops.consume import ConsumedRecord, ConsumeRequest, consume, parse_start

START = typer.Option(
    "beginning", "--from", help="beginning, end, an offset (every partition), or an ISO 8601 time."
)
COUNT = typer.Option(None, "--count", "-n", min=1, help="Stop after N records.")
FOLLOW = typer.Option(False, "--follow", "-f", help="Keep reading new records (Ctrl-C stops).")
PARTITION = typer.Option(None, "--partition", "-p", min=0, help="Only this partition.")
OUTPUT = typer.Option(OutputFormat.text, "--output", "-o", help="text or json (one per line)")


def consume_cmd(
    topic: str = typer.Argument(..., help="Topic to read (e.g. clicks, clicks.dlq, <job>.late)."),
    start: str = START,
    count: int | None = COUNT,
    follow: bool = FOLLOW,
    partition: int | None = PARTITION,
    output: OutputFormat = OUTPUT,
) -> None:
    """Print records (partition, offset, time, key, headers, value), read without a group.

    Stops at the end of every partition unless --follow.
    """
    current = settings()
    request = ConsumeRequest(topic, parse_start(start), count, follow, partition)
    records = consume(current.kafka.bootstrap_servers, current.registry.url, request)
    try:
        for record in records:
            sys.stdout.write(_line(record, output) + "\n")
            sys.stdout.flush()
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except BrokenPipeError:  # `tide consume ... | head`: the reader went away, so do we
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        raise typer.Exit(0) from None
    finally:
        records.close()


def _line(record: ConsumedRecord, output: OutputFormat) -> str:
    if output is OutputFormat.json:
        return json.dumps(record.as_dict(), ensure_ascii=False, default=str)
    parts = [f"p{record.partition}", f"offset={record.offset}", record.timestamp or "-",
             f"key={_text(record.key.encoding, record.key.value)}"]  # fmt: skip
    parts += [f"{name}={_text('text', value)}" for name, value in record.headers.items()]
    parts.append(_text(record.value.encoding, record.value.value))
    return "  ".join(parts)


def _text(encoding: str, value: object) -> str:
    """Text as it is when it fits one line; decoded values as JSON; base64 marked as such."""
    if encoding == "null":
        return "null"
    if encoding == "base64":
        return f"base64:{value}"
    if encoding == "text" and isinstance(value, str) and value.isprintable():
        return value
    return json.dumps(value, ensure_ascii=False, default=str)
