"""The `tide` command: one entry point, a subcommand per room, errors as one readable line."""

from __future__ import annotations

import os
import sys
from importlib.metadata import version

import typer

from tide import logs
from tide.cli import (
    consume_cmd,
    demo_cmd,
    jobs_cmd,
    lag_cmd,
    lake_cmd,
    produce_cmd,
    projections_cmd,
    registry_cmd,
    schema_cmd,
    sql_cmd,
    status_cmd,
    topics_cmd,
    up_cmd,
    worker_cmd,
)
from tide.cli.output import errors
from tide.errors import TideError

app = typer.Typer(
    name="tide",
    help="Tide: schema registry, validated producers, stream workers and an Iceberg lake.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _show_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"tide {version('tide')}")
        raise typer.Exit()


@app.callback()
def _options(
    _version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Show the version, exit."
    ),
) -> None:
    """Tide: schema registry, validated producers, stream workers and an Iceberg lake."""


app.add_typer(schema_cmd.app, name="schema")
app.add_typer(registry_cmd.app, name="registry")
app.add_typer(jobs_cmd.app, name="jobs")
app.add_typer(produce_cmd.app, name="produce")
app.add_typer(projections_cmd.app, name="projections")
app.command("worker")(worker_cmd.worker)
app.add_typer(sql_cmd.app, name="sql")
app.add_typer(lake_cmd.app, name="lake")
app.command("up")(up_cmd.up)
app.command("status")(status_cmd.status)
app.command("down")(status_cmd.down)
app.command("demo")(demo_cmd.demo)
app.add_typer(topics_cmd.app, name="topics")
app.command("consume")(consume_cmd.consume_cmd)
app.command("lag")(lag_cmd.lag)


def main() -> None:
    logs.configure(os.environ.get("TIDE_LOG_LEVEL", "WARNING"))
    try:
        app()
    except TideError as e:
        errors.print(f"[red]error:[/red] {e}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as e:
        if os.environ.get("TIDE_DEBUG"):
            raise
        errors.print(
            f"[red]internal error:[/red] {type(e).__name__}: {e} "
            "(TIDE_DEBUG=1 shows the traceback)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(70)
