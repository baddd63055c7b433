"""`tide lag [GROUP]`: the consumer groups, or one group's committed offsets against the ends."""

from __future__ import annotations

import typer

from tide.cli.context import settings
from tide.cli.output import OutputFormat, emit_table
from tide.ops.lag import group_lag, list_groups

OUTPUT = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")


def lag(
    group: str | None = typer.Argument(None, help="Consumer group; none: list the groups."),
    output: OutputFormat = OUTPUT,
) -> None:
    """Without GROUP: the consumer groups and their state. With GROUP: lag per partition."""
    bootstrap = settings().kafka.bootstrap_servers
    if group is None:
        rows = [(g.group, g.state) for g in list_groups(bootstrap)]
        emit_table(["group", "state"], rows, output)
        return
    lags = group_lag(bootstrap, group)
    rows2 = [(p.topic, p.partition, p.committed, p.end, p.lag) for p in lags]
    emit_table(["topic", "partition", "committed", "end", "lag"], rows2, output, title=group)
