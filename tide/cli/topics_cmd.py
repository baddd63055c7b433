"""`tide topics ...`: list the topics, describe one (partitions, replicas, offsets, configs)."""

from __future__ import annotations

import typer

from tide.cli.context import settings
from tide.cli.output import OutputFormat, emit_object, emit_table
from tide.ops.topic_info import describe_topic, list_topics

app = typer.Typer(help="Topics: list them, describe one.", no_args_is_help=True)
OUTPUT = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")


@app.command("list")
def list_cmd(
    show_all: bool = typer.Option(False, "--all", help="Also internal (__*, _tide_*) topics."),
    output: OutputFormat = OUTPUT,
) -> None:
    """Topics with partitions, replication and end offsets (sum of the high watermarks)."""
    topics = list_topics(settings().kafka.bootstrap_servers, include_internal=show_all)
    rows = [(t.name, t.partitions, t.replication, t.end_offsets) for t in topics]
    emit_table(["topic", "partitions", "replication", "end_offsets"], rows, output)


@app.command()
def describe(
    topic: str = typer.Argument(..., help="Topic name."), output: OutputFormat = OUTPUT
) -> None:
    """Per partition: leader, replicas, ISR, begin/end offset and message count; and configs."""
    detail = describe_topic(settings().kafka.bootstrap_servers, topic)
    columns = ["partition", "leader", "replicas", "isr", "begin_offset", "end_offset", "messages"]
    if output is OutputFormat.json:
        partitions = [
            dict(zip(columns, (p.partition, p.leader, p.replicas, p.isr, p.low, p.high,
                               p.messages), strict=True))
            for p in detail.partitions
        ]  # fmt: skip
        emit_object({"topic": topic, "configs": detail.configs, "partitions": partitions}, output)
        return
    rows = [(p.partition, p.leader, _ids(p.replicas), _ids(p.isr), p.low, p.high, p.messages)
            for p in detail.partitions]  # fmt: skip
    configs = "  ".join(f"{k}={'-' if v is None else v}" for k, v in detail.configs.items())
    emit_table(columns, rows, output, title=f"{topic}  {configs}")


def _ids(ids: list[int]) -> str:
    return ",".join(map(str, ids))
